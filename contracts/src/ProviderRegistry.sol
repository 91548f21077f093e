// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {Errors} from "./libraries/Errors.sol";
import {Attribute, ProviderInfo} from "./types/DataTypes.sol";

/// @title ProviderRegistry
/// @notice See {IProviderRegistry}. No owner and no upgradeability.
/// @dev Providers are kept in an array for listing and an index for O(1) removal (swap and pop).
contract ProviderRegistry is IProviderRegistry {
    /// @inheritdoc IProviderRegistry
    uint256 public constant override MAX_ATTRIBUTES = 32;
    /// @inheritdoc IProviderRegistry
    uint256 public constant override MAX_KEY_LENGTH = 64;
    /// @inheritdoc IProviderRegistry
    uint256 public constant override MAX_VALUE_LENGTH = 256;

    struct Record {
        string gatewayUrl;
        Attribute[] attributes;
        uint40 registeredAt;
        uint40 updatedAt;
    }

    address[] private _providerList;
    /// @dev Position in `_providerList` plus one; zero for an address that is not registered.
    mapping(address provider => uint256) private _positionPlusOne;
    mapping(address provider => Record) private _records;

    /*//////////////////////////////////////////////////////////////
                            CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProviderRegistry
    function isRegistered(address provider) public view override returns (bool) {
        return _positionPlusOne[provider] != 0;
    }

    /// @inheritdoc IProviderRegistry
    function providerCount() external view override returns (uint256) {
        return _providerList.length;
    }

    /// @inheritdoc IProviderRegistry
    function getProvider(address provider) external view override returns (ProviderInfo memory) {
        if (!isRegistered(provider)) revert Errors.ProviderRegistry_NotRegistered(provider);
        return _info(provider);
    }

    /// @inheritdoc IProviderRegistry
    function getProviders(uint256 offset, uint256 limit)
        external
        view
        override
        returns (ProviderInfo[] memory providers)
    {
        uint256 total = _providerList.length;
        uint256 end = offset >= total ? offset : (limit > total - offset ? total : offset + limit);
        providers = new ProviderInfo[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            providers[i - offset] = _info(_providerList[i]);
        }
    }

    /*//////////////////////////////////////////////////////////////
                          NON-CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProviderRegistry
    function register(string calldata gatewayUrl, Attribute[] calldata attributes)
        external
        override
    {
        if (isRegistered(msg.sender)) {
            revert Errors.ProviderRegistry_AlreadyRegistered(msg.sender);
        }
        _providerList.push(msg.sender);
        _positionPlusOne[msg.sender] = _providerList.length;
        Record storage record = _records[msg.sender];
        record.registeredAt = uint40(block.timestamp);
        _write(record, gatewayUrl, attributes);
        emit ProviderRegistered(msg.sender, gatewayUrl, attributes);
    }

    /// @inheritdoc IProviderRegistry
    function update(string calldata gatewayUrl, Attribute[] calldata attributes) external override {
        if (!isRegistered(msg.sender)) revert Errors.ProviderRegistry_NotRegistered(msg.sender);
        _write(_records[msg.sender], gatewayUrl, attributes);
        emit ProviderUpdated(msg.sender, gatewayUrl, attributes);
    }

    /// @inheritdoc IProviderRegistry
    function deregister() external override {
        uint256 positionPlusOne = _positionPlusOne[msg.sender];
        if (positionPlusOne == 0) revert Errors.ProviderRegistry_NotRegistered(msg.sender);
        address last = _providerList[_providerList.length - 1];
        _providerList[positionPlusOne - 1] = last;
        _positionPlusOne[last] = positionPlusOne;
        _providerList.pop();
        delete _positionPlusOne[msg.sender];
        delete _records[msg.sender];
        emit ProviderDeregistered(msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev Validates and stores a provider's URL and attributes, replacing the old ones.
    function _write(
        Record storage record,
        string calldata gatewayUrl,
        Attribute[] calldata attributes
    ) private {
        uint256 urlLength = bytes(gatewayUrl).length;
        if (urlLength == 0 || urlLength > MAX_VALUE_LENGTH) {
            revert Errors.ProviderRegistry_InvalidGatewayUrl(gatewayUrl);
        }
        if (attributes.length > MAX_ATTRIBUTES) {
            revert Errors.ProviderRegistry_TooManyAttributes(attributes.length, MAX_ATTRIBUTES);
        }
        record.gatewayUrl = gatewayUrl;
        record.updatedAt = uint40(block.timestamp);
        delete record.attributes;
        for (uint256 i; i < attributes.length; ++i) {
            Attribute calldata attribute = attributes[i];
            uint256 keyLength = bytes(attribute.key).length;
            if (
                keyLength == 0 || keyLength > MAX_KEY_LENGTH
                    || bytes(attribute.value).length > MAX_VALUE_LENGTH
            ) {
                revert Errors.ProviderRegistry_InvalidAttribute(attribute.key);
            }
            bytes32 keyHash = keccak256(bytes(attribute.key));
            for (uint256 j; j < i; ++j) {
                if (keccak256(bytes(attributes[j].key)) == keyHash) {
                    revert Errors.ProviderRegistry_DuplicateAttribute(attribute.key);
                }
            }
            Attribute storage stored = record.attributes.push();
            stored.key = attribute.key;
            stored.value = attribute.value;
        }
    }

    function _info(address provider) private view returns (ProviderInfo memory) {
        Record storage record = _records[provider];
        return ProviderInfo({
            provider: provider,
            gatewayUrl: record.gatewayUrl,
            attributes: record.attributes,
            registeredAt: record.registeredAt,
            updatedAt: record.updatedAt
        });
    }
}
