// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {OrderStatus} from "../types/DataTypes.sol";

/// @notice Every custom error of supercloud's contracts, grouped by contract, alphabetical, each
/// carrying the values that made the call fail.
library Errors {
    /*//////////////////////////////////////////////////////////////
                              MARKETPLACE
    //////////////////////////////////////////////////////////////*/

    /// @notice `placeBids` with as many prices as order ids, not the same number.
    error Marketplace_BatchLengthMismatch(uint256 orderIdsLength, uint256 pricesLength);

    /// @notice A batch view (`getOrders`, `getLeases`, `getBidsOf`) of more than `maxLength` ids.
    error Marketplace_BatchTooLarge(uint256 length, uint256 maxLength);

    /// @notice `acceptBid` of a bid above the price the tenant agreed to pay: the provider raised it
    /// (cancelled and bid again) after the tenant read it.
    error Marketplace_BidAboveLimit(
        uint256 orderId, address provider, uint256 pricePerSecond, uint256 maxPricePerSecond
    );

    /// @notice `placeBid` at a price above the order's maximum.
    error Marketplace_BidAboveMax(
        uint256 orderId, uint256 pricePerSecond, uint256 maxPricePerSecond
    );

    /// @notice `placeBid` of a new bid on an order with `MAX_BIDS_PER_ORDER` live bids, at a price
    /// not below the worst of them (at an equal price the earlier bid ranks first).
    error Marketplace_BidNotBelowWorst(
        uint256 orderId, uint256 pricePerSecond, uint256 worstPricePerSecond
    );

    /// @notice `placeBid` by a provider whose live bid is not higher than the new price.
    error Marketplace_BidNotLower(uint256 orderId, uint256 pricePerSecond, uint256 currentPrice);

    /// @notice `placeBid` or `cancelBid` at or after the bidding deadline: from then on a live bid
    /// stands until the order is leased or cancelled.
    error Marketplace_BiddingClosed(uint256 orderId, uint256 biddingDeadline);

    /// @notice `finalize` before the bidding deadline.
    error Marketplace_BiddingOpen(uint256 orderId, uint256 biddingDeadline);

    /// @notice `close` by someone other than the tenant or the provider of a funded lease.
    error Marketplace_CallerNotParty(uint256 leaseId, address caller);

    /// @notice A provider-only call by someone else (e.g. withdrawing another provider's lease).
    error Marketplace_CallerNotProvider(uint256 leaseId, address caller, address provider);

    /// @notice A tenant-only call by someone else.
    error Marketplace_CallerNotTenant(uint256 orderId, address caller, address tenant);

    /// @notice `cancelOrder` by someone other than the tenant, before the deadline or with bids.
    error Marketplace_CancelNotAllowed(uint256 orderId, address caller);

    /// @notice `createOrder` with a deposit below the minimum run at the maximum price.
    error Marketplace_DepositTooSmall(uint256 deposit, uint256 minimumDeposit);

    /// @notice `createOrder` or `updateManifest` with an empty manifest.
    error Marketplace_EmptyManifest();

    /// @notice `deposit` into a lease whose escrow has run out: it can only be closed.
    error Marketplace_EscrowExhausted(uint256 leaseId, uint256 fundedUntil);

    /// @notice An escrow would exceed 2^128 - 1 token base units.
    error Marketplace_EscrowOverflow(uint256 escrow);

    /// @notice `setFee` above the cap.
    error Marketplace_FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);

    /// @notice `createOrder` with a bidding duration of zero or above the maximum.
    error Marketplace_InvalidBiddingDuration(uint256 biddingDuration, uint256 maxBiddingDuration);

    /// @notice `createOrder` with a maximum price of zero or above 2^96 - 1.
    error Marketplace_InvalidMaxPrice(uint256 maxPricePerSecond);

    /// @notice `createOrder` with resources that no provider could serve (see the NatSpec).
    error Marketplace_InvalidResources();

    /// @notice A lease-only call on a lease that is already closed (e.g. a double close).
    error Marketplace_LeaseClosed(uint256 leaseId, uint256 closedAt);

    /// @notice A lease-only call on an id that is not leased.
    error Marketplace_LeaseNotActive(uint256 leaseId);

    /// @notice `cancelBid` or `acceptBid` for a provider with no live bid on the order.
    error Marketplace_NoBid(uint256 orderId, address provider);

    /// @notice `finalize` of an order without bids: cancel it instead.
    error Marketplace_NoBids(uint256 orderId);

    /// @notice `claim` by an account with no deferred payment to claim.
    error Marketplace_NothingToClaim(address account);

    /// @notice A call that needs an open order on an order in another state.
    error Marketplace_OrderNotOpen(uint256 orderId, OrderStatus status);

    /// @notice `placeBid` by an address the provider registry does not know.
    error Marketplace_ProviderNotRegistered(address provider);

    /// @notice `placeBid` by the order's own tenant.
    error Marketplace_SelfBid(uint256 orderId, address tenant);

    /// @notice The token delivered less than the amount transferred in: fee-on-transfer and
    /// similar tokens are not supported.
    error Marketplace_TransferAmountMismatch(uint256 expected, uint256 received);

    /// @notice A zero address where an account is needed.
    error Marketplace_ZeroAddress();

    /// @notice A zero amount or price where a positive one is needed (a zero price anywhere in a
    /// `placeBids` batch reverts the whole batch: it is the caller's mistake, not the order's).
    error Marketplace_ZeroAmount();

    /*//////////////////////////////////////////////////////////////
                           PROVIDER REGISTRY
    //////////////////////////////////////////////////////////////*/

    /// @notice `register` by an address that is already registered: call `update`.
    error ProviderRegistry_AlreadyRegistered(address provider);

    /// @notice Two attributes with the same key.
    error ProviderRegistry_DuplicateAttribute(string key);

    /// @notice An attribute with an empty or too long key or a too long value.
    error ProviderRegistry_InvalidAttribute(string key);

    /// @notice An empty or too long gateway URL.
    error ProviderRegistry_InvalidGatewayUrl(string gatewayUrl);

    /// @notice `update`, `deregister` or a view for an address that is not registered.
    error ProviderRegistry_NotRegistered(address provider);

    /// @notice More attributes than the registry keeps.
    error ProviderRegistry_TooManyAttributes(uint256 count, uint256 maxCount);
}
