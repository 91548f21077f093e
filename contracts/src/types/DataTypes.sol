// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice What an order asks for. The GPU model is `keccak256` of the normalized model name (the
/// TypeScript `gpuModelId`, e.g. of "NVIDIA-H100-80GB-HBM3"), zero for a CPU-only order.
struct Resources {
    // slot 0
    bytes32 gpuModel;
    // slot 1
    uint16 gpuCount;
    /// @dev Per GPU, in MiB.
    uint32 gpuMemoryMiB;
    uint32 cpuMillicores;
    uint40 memoryMiB;
    uint40 storageMiB;
}

/// @notice Where an order is in its life. A lease starts when the order becomes `Leased`; the
/// lease's own end is `Lease.closedAt`.
enum OrderStatus {
    None,
    Open,
    Leased,
    Cancelled
}

/// @notice Why `placeBids` passed over one of its bids (emitted in {BidSkipped}): the order's state
/// refuses it now, as `placeBid` would revert with the error named beside each member. `None` (a
/// bid placed) is never emitted.
enum BidSkipReason {
    // The bid was placed.
    None,
    // The order is not open (unknown, leased or cancelled): `Marketplace_OrderNotOpen`.
    OrderNotOpen,
    // The bidding deadline has come: `Marketplace_BiddingClosed`.
    BiddingClosed,
    // The caller is the order's tenant: `Marketplace_SelfBid`.
    SelfBid,
    // The price is above the order's maximum: `Marketplace_BidAboveMax`.
    AboveMax,
    // The caller's live bid is at or below the price: `Marketplace_BidNotLower`.
    NotLower,
    // The order is full and the price not below its worst bid: `Marketplace_BidNotBelowWorst`.
    NotBelowWorst
}

/// @notice An order as stored. Its lease (same id) holds the escrow from the start.
struct Order {
    // slot 0
    address tenant;
    uint40 biddingDeadline;
    OrderStatus status;
    /// @dev Live bids in the ranked list, at most `MAX_BIDS_PER_ORDER`.
    uint16 bidCount;
    // slot 1
    /// @dev Head of the ranked list of live bids: the lowest price, the earliest among equals.
    address bestBidder;
    uint96 maxPricePerSecond;
    // slot 2
    bytes32 manifestHash;
    // slots 3 and 4
    Resources resources;
}

/// @notice A live bid: a node of the order's list of bids ranked by price, then by time.
struct Bid {
    // slot 0
    uint96 pricePerSecond;
    address next;
}

/// @notice The escrow of an order and, once the order is leased, the lease streaming it. While
/// the order is open only `balance` is set: the tenant's deposit.
struct Lease {
    // slot 0
    address provider;
    uint96 pricePerSecond;
    // slot 1
    /// @dev Escrow not yet streamed as of `settledAt`, in token base units.
    uint128 balance;
    uint40 settledAt;
    uint40 closedAt;
    /// @dev The protocol fee when the lease started; later fee changes do not apply to it.
    uint16 feeBps;
}

/// @notice A bid as the views return it.
struct BidView {
    address provider;
    uint256 pricePerSecond;
}

/// @notice An order as the views return it.
struct OrderView {
    address tenant;
    OrderStatus status;
    uint256 biddingDeadline;
    uint256 maxPricePerSecond;
    bytes32 manifestHash;
    Resources resources;
    /// @dev Zero address when there is no live bid.
    address bestBidder;
    uint256 bestPricePerSecond;
    /// @dev The deposit held for the order while it is open; zero once leased or cancelled.
    uint256 escrow;
    /// @dev Live bids, at most `MAX_BIDS_PER_ORDER`; once leased or cancelled, as they stood then.
    uint256 bidCount;
}

/// @notice A lease as the views return it, as of the current block.
struct LeaseView {
    address tenant;
    address provider;
    uint256 pricePerSecond;
    /// @dev Streamed to the provider but not yet withdrawn (before the fee).
    uint256 accrued;
    /// @dev Escrow not yet streamed.
    uint256 remaining;
    uint256 settledAt;
    /// @dev Zero while the lease is open.
    uint256 closedAt;
    /// @dev When the escrow runs out at this rate (the close time once closed).
    uint256 fundedUntil;
    uint256 feeBps;
    bool active;
}

/// @notice A key/value attribute of a provider, e.g. ("region", "eu-west") or
/// ("gpu.models", "NVIDIA-H100-80GB-HBM3,NVIDIA-A100-SXM4-40GB").
struct Attribute {
    string key;
    string value;
}

/// @notice A registered provider as the views return it.
struct ProviderInfo {
    address provider;
    string gatewayUrl;
    Attribute[] attributes;
    uint256 registeredAt;
    uint256 updatedAt;
}
