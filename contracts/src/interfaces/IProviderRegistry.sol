// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Attribute, ProviderInfo} from "../types/DataTypes.sol";

/// @title IProviderRegistry
/// @notice Compute providers publish their gateway URL and attributes (region, tier, GPU models,
/// ...) so that tenants can find them and the marketplace accepts their bids. Registration is
/// permissionless; an address registers itself.
interface IProviderRegistry {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A provider registered.
    event ProviderRegistered(address indexed provider, string gatewayUrl, Attribute[] attributes);

    /// @notice A provider replaced its gateway URL and attributes.
    event ProviderUpdated(address indexed provider, string gatewayUrl, Attribute[] attributes);

    /// @notice A provider left the registry.
    event ProviderDeregistered(address indexed provider);

    /*//////////////////////////////////////////////////////////////
                            CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The most attributes a provider can publish.
    function MAX_ATTRIBUTES() external view returns (uint256);

    /// @notice The longest attribute key, in bytes.
    function MAX_KEY_LENGTH() external view returns (uint256);

    /// @notice The longest attribute value or gateway URL, in bytes.
    function MAX_VALUE_LENGTH() external view returns (uint256);

    /// @notice Whether `provider` is registered (the marketplace's check before a bid).
    function isRegistered(address provider) external view returns (bool);

    /// @notice How many providers are registered.
    function providerCount() external view returns (uint256);

    /// @notice One registered provider.
    /// @dev Requirements:
    /// - `provider` is registered.
    function getProvider(address provider) external view returns (ProviderInfo memory);

    /// @notice A page of the registered providers, in registry order (which changes when a
    /// provider deregisters: the last one takes its place).
    /// @param offset The index of the first provider returned.
    /// @param limit The most providers returned.
    function getProviders(uint256 offset, uint256 limit)
        external
        view
        returns (ProviderInfo[] memory providers);

    /*//////////////////////////////////////////////////////////////
                          NON-CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers the caller as a provider.
    /// @dev Emits {ProviderRegistered}.
    ///
    /// Requirements:
    /// - The caller is not registered.
    /// - `gatewayUrl` is 1 to `MAX_VALUE_LENGTH` bytes.
    /// - At most `MAX_ATTRIBUTES` attributes, keys unique and 1 to `MAX_KEY_LENGTH` bytes, values at
    ///   most `MAX_VALUE_LENGTH` bytes.
    /// @param gatewayUrl Where tenants reach the provider's gateway (logs, secrets, endpoints).
    /// @param attributes Key/value pairs tenants filter on.
    function register(string calldata gatewayUrl, Attribute[] calldata attributes) external;

    /// @notice Replaces the caller's gateway URL and attributes.
    /// @dev Emits {ProviderUpdated}.
    ///
    /// Requirements:
    /// - The caller is registered.
    /// - The same limits as {register}.
    /// @param gatewayUrl The new gateway URL.
    /// @param attributes The new attributes (all of them: the old ones are dropped).
    function update(string calldata gatewayUrl, Attribute[] calldata attributes) external;

    /// @notice Removes the caller from the registry. Its leases go on; its live bids stay valid
    /// until it cancels them, so cancel them first.
    /// @dev Emits {ProviderDeregistered}.
    ///
    /// Requirements:
    /// - The caller is registered.
    function deregister() external;
}
