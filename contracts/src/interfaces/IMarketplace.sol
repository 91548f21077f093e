// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IProviderRegistry} from "./IProviderRegistry.sol";
import {BidSkipReason, BidView, LeaseView, OrderView, Resources} from "../types/DataTypes.sol";

/// @title IMarketplace
/// @notice A reverse auction for GPU time with a per-second streaming escrow. A tenant creates an
/// order (resources, maximum price, bidding window, deposit, workload manifest); registered
/// providers bid down; the tenant accepts a bid at any time, or anyone finalizes the order after
/// the deadline, which leases it to the lowest bid. The lease (same id as its order) streams the
/// escrow to the provider per second until the tenant or the provider closes it, or until the
/// escrow runs out, when anyone can close it.
///
/// Amounts are in base units of the payment token (one ERC-20 per marketplace), prices in base
/// units per second. Tokens that deliver less than the amount transferred (fee-on-transfer) are
/// rejected; rebasing tokens are not supported.
///
/// Payments out (a provider's payout, a tenant's refund) are pushed, and pulled only as a
/// fallback: when the token refuses a transfer to an account (a token that blacklists it, or one
/// that returns false), the amount is credited to `claimable(account)` instead of reverting, so
/// that one party can never block the other's payment or lock an escrow. The account takes the
/// credit with `claim`.
interface IMarketplace {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A tenant created an order; `manifest` is the workload, `manifestHash` its keccak256.
    event OrderCreated(
        uint256 indexed orderId,
        address indexed tenant,
        bytes32 indexed gpuModel,
        Resources resources,
        uint256 maxPricePerSecond,
        uint256 biddingDeadline,
        uint256 deposit,
        bytes32 manifestHash,
        bytes manifest
    );

    /// @notice An open order was cancelled and its deposit refunded to the tenant.
    event OrderCancelled(
        uint256 indexed orderId, address indexed tenant, address indexed caller, uint256 refund
    );

    /// @notice A provider placed or lowered its bid; the best bid after the change follows.
    event BidPlaced(
        uint256 indexed orderId,
        address indexed provider,
        uint256 pricePerSecond,
        address bestBidder,
        uint256 bestPricePerSecond
    );

    /// @notice `placeBids` passed over a bid the order refuses now (it closed, or its bidding did,
    /// or a live bid of the provider is already as low, ...): nothing changed for that order.
    event BidSkipped(
        uint256 indexed orderId,
        address indexed provider,
        uint256 pricePerSecond,
        BidSkipReason reason
    );

    /// @notice A provider withdrew its bid; the best bid after the change follows (zero if none).
    event BidCancelled(
        uint256 indexed orderId,
        address indexed provider,
        address bestBidder,
        uint256 bestPricePerSecond
    );

    /// @notice The worst live bid of a full order made room for a lower new bid and is no longer
    /// live; the {BidPlaced} of the new bid follows.
    event BidEvicted(uint256 indexed orderId, address indexed provider, uint256 pricePerSecond);

    /// @notice An order was leased to `provider` at `pricePerSecond`; the escrow starts streaming.
    event LeaseCreated(
        uint256 indexed leaseId,
        address indexed tenant,
        address indexed provider,
        uint256 pricePerSecond,
        uint256 escrow,
        uint256 feeBps,
        uint256 startedAt,
        uint256 fundedUntil
    );

    /// @notice Someone added `amount` to a lease's escrow.
    event Deposited(
        uint256 indexed leaseId,
        address indexed funder,
        uint256 amount,
        uint256 escrow,
        uint256 fundedUntil
    );

    /// @notice A provider withdrew what a lease had streamed: `amount` before the fee, `fee` to
    /// the protocol; `escrow` is what is left to stream.
    event Withdrawn(
        uint256 indexed leaseId,
        address indexed provider,
        uint256 amount,
        uint256 fee,
        uint256 escrow
    );

    /// @notice A lease closed: the provider was paid what had streamed, the rest refunded.
    event LeaseClosed(
        uint256 indexed leaseId,
        address indexed tenant,
        address indexed provider,
        address closedBy,
        uint256 providerPayout,
        uint256 fee,
        uint256 refund
    );

    /// @notice The tenant replaced a lease's workload manifest.
    event ManifestUpdated(
        uint256 indexed leaseId, address indexed tenant, bytes32 manifestHash, bytes manifest
    );

    /// @notice The owner changed the protocol fee of leases that start from now on.
    event FeeUpdated(uint256 previousFeeBps, uint256 newFeeBps);

    /// @notice The owner changed the minimum run a deposit must cover.
    event MinRunUpdated(uint256 previousMinRunSeconds, uint256 newMinRunSeconds);

    /// @notice The owner changed where protocol fees go.
    event TreasuryUpdated(address indexed previousTreasury, address indexed newTreasury);

    /// @notice Accumulated protocol fees were paid to the treasury.
    event FeesClaimed(address indexed treasury, uint256 amount);

    /// @notice The token refused a payment of `amount` to `account` (e.g. it blacklists the
    /// account), so it was credited to the account instead; `claimable` is the account's credit
    /// now. Follows the event of the call that made the payment ({LeaseClosed}, {Withdrawn},
    /// {OrderCancelled}), whose amounts are unchanged.
    event PaymentDeferred(address indexed account, uint256 amount, uint256 claimable);

    /// @notice `account` took its whole credit of deferred payments, `amount`, paid to `to`.
    event Claimed(address indexed account, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                            CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The highest protocol fee the owner can set, in basis points (10%).
    function MAX_FEE_BPS() external view returns (uint256);

    /// @notice The longest bidding window an order can have, in seconds.
    function MAX_BIDDING_DURATION() external view returns (uint256);

    /// @notice The most live bids an order holds. When it is full, a new bid must be lower than
    /// the worst, which it evicts; this bounds the work of placing and cancelling a bid.
    function MAX_BIDS_PER_ORDER() external view returns (uint256);

    /// @notice The most ids `getOrders`, `getLeases` and `getBidsOf` read in one call.
    function MAX_BATCH_READ() external view returns (uint256);

    /// @notice The payment token.
    function token() external view returns (IERC20);

    /// @notice The registry whose providers may bid.
    function registry() external view returns (IProviderRegistry);

    /// @notice Where protocol fees go.
    function treasury() external view returns (address);

    /// @notice The protocol fee of leases that start from now on, in basis points of each payout.
    function feeBps() external view returns (uint16);

    /// @notice The run, in seconds, that an order's deposit must cover at its maximum price.
    function minRunSeconds() external view returns (uint32);

    /// @notice The id of the latest order (ids start at 1).
    function lastOrderId() external view returns (uint48);

    /// @notice Protocol fees held for the treasury, in token base units.
    function unclaimedFees() external view returns (uint256);

    /// @notice Payments to `account` the token refused, held for it to `claim`, in token base
    /// units.
    /// @param account A tenant or a provider.
    function claimable(address account) external view returns (uint256);

    /// @notice The sum of every account's `claimable`, in token base units. The marketplace's
    /// token balance is the open escrows plus `unclaimedFees` plus this.
    function totalClaimable() external view returns (uint256);

    /// @notice An order with its best bid, its number of live bids and the deposit held for it.
    function getOrder(uint256 orderId) external view returns (OrderView memory);

    /// @notice `getOrder` of each id, in the order of `orderIds`: many orders in one call.
    /// @dev Reverts with `Marketplace_BatchTooLarge` above `MAX_BATCH_READ` ids. An unknown id
    /// reads as `getOrder` reads it (status `None`).
    /// @param orderIds The orders to read, at most `MAX_BATCH_READ`; repeats are read again.
    function getOrders(uint256[] calldata orderIds) external view returns (OrderView[] memory);

    /// @notice The live bids of an order, best first (lowest price, then earliest), at most
    /// `MAX_BIDS_PER_ORDER`. Once the order is leased or cancelled, the bids as they stood then.
    function getBids(uint256 orderId) external view returns (BidView[] memory bids);

    /// @notice A provider's live bid on an order, in token base units per second; zero for none.
    function getBid(uint256 orderId, address provider) external view returns (uint256);

    /// @notice `getBid` of `provider` on each order, in the order of `orderIds`: a provider's
    /// bids on many orders in one call.
    /// @dev Reverts with `Marketplace_BatchTooLarge` above `MAX_BATCH_READ` ids.
    /// @param orderIds The orders, at most `MAX_BATCH_READ`; repeats are read again.
    /// @param provider The provider.
    /// @return pricesPerSecond Its live bid on each order, in token base units per second; zero
    /// for none.
    function getBidsOf(uint256[] calldata orderIds, address provider)
        external
        view
        returns (uint256[] memory pricesPerSecond);

    /// @notice A lease as of this block: accrued and remaining escrow, when the escrow runs out.
    function getLease(uint256 leaseId) external view returns (LeaseView memory);

    /// @notice `getLease` of each id, in the order of `leaseIds`, as of this block: many leases
    /// in one call.
    /// @dev Reverts with `Marketplace_BatchTooLarge` above `MAX_BATCH_READ` ids. An unknown id
    /// reads as `getLease` reads it (no provider, not active).
    /// @param leaseIds The leases to read, at most `MAX_BATCH_READ`; repeats are read again.
    function getLeases(uint256[] calldata leaseIds) external view returns (LeaseView[] memory);

    /// @notice What the provider can withdraw from a lease now (before the protocol fee).
    function accruedOf(uint256 leaseId) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                          NON-CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates an order and pulls its deposit into escrow. The manifest is emitted, and
    /// its keccak256 stored, not the manifest itself.
    /// @dev Emits {OrderCreated}.
    ///
    /// Requirements:
    /// - The marketplace is not paused.
    /// - `resources` asks for CPU and memory, and names a GPU model when it asks for GPUs.
    /// - `maxPricePerSecond` is positive and below 2^96.
    /// - `biddingDuration` is positive and at most `MAX_BIDDING_DURATION`.
    /// - `deposit` covers `minRunSeconds` at `maxPricePerSecond`, is positive and below 2^128.
    /// - `manifest` is not empty.
    /// - The caller approved `deposit` to the marketplace, and the token delivers it in full.
    /// @param resources What the workload needs.
    /// @param maxPricePerSecond The most the tenant pays, in token base units per second.
    /// @param biddingDuration How long providers can bid, in seconds.
    /// @param deposit The escrow, in token base units.
    /// @param manifest The workload manifest's canonical bytes.
    /// @return orderId The new order's id, also the id of its lease.
    function createOrder(
        Resources calldata resources,
        uint256 maxPricePerSecond,
        uint256 biddingDuration,
        uint256 deposit,
        bytes calldata manifest
    ) external returns (uint256 orderId);

    /// @notice Places the caller's bid on an order, or lowers it. A live bid can only be lowered.
    /// An order holds at most `MAX_BIDS_PER_ORDER` live bids: when it is full, a new bid must be
    /// below the worst live bid, which it evicts.
    /// @dev Emits {BidPlaced}, after {BidEvicted} when a bid made room. The bids are kept ranked
    /// (lowest price, then earliest; a lowered bid counts from when it was lowered), so the best
    /// bid is always at hand; placing one walks at most `MAX_BIDS_PER_ORDER` of them.
    ///
    /// Requirements:
    /// - The marketplace is not paused.
    /// - The order is open and its bidding deadline has not passed.
    /// - The caller is a registered provider and not the order's tenant.
    /// - `pricePerSecond` is positive, at most the order's maximum, and below the caller's live bid.
    /// - A new bid on a full order is below the worst live bid.
    /// @param orderId The order.
    /// @param pricePerSecond The price, in token base units per second.
    function placeBid(uint256 orderId, uint256 pricePerSecond) external;

    /// @notice Places or lowers the caller's bids on many orders in one transaction, each as
    /// `placeBid` would. A bid that the order's state refuses now is skipped, not reverted, so
    /// that one order closing (or one auction filling up) between the caller's decision and the
    /// block does not cost the other bids: an order that is no longer open, whose bidding closed,
    /// of which the caller is the tenant, whose maximum is below the price, on which the caller's
    /// live bid is already at or below the price (so sending the same batch again changes
    /// nothing), or that is full with no worse bid than the price.
    /// @dev Emits, for each bid in the order of the arrays, {BidPlaced} (after {BidEvicted} when
    /// the bid made room) or {BidSkipped} with the reason. A repeated order id is bid on again
    /// (skipped unless its price is lower).
    ///
    /// Requirements:
    /// - The marketplace is not paused.
    /// - `orderIds` and `pricesPerSecond` have the same length.
    /// - The caller is a registered provider.
    /// - Every price is positive.
    /// @param orderIds The orders.
    /// @param pricesPerSecond The price of each order's bid, in token base units per second.
    /// @return placed How many bids were placed or lowered (the others were skipped).
    function placeBids(uint256[] calldata orderIds, uint256[] calldata pricesPerSecond)
        external
        returns (uint256 placed);

    /// @notice Withdraws the caller's live bid, before the bidding deadline only: from the deadline
    /// on a bid stands until the order is leased or cancelled, so a low bid that kept others away
    /// cannot be pulled once they can no longer bid (bid shielding).
    /// @dev Emits {BidCancelled}.
    ///
    /// Requirements:
    /// - The order is open and its bidding deadline has not passed.
    /// - The caller has a live bid on it.
    /// @param orderId The order.
    function cancelBid(uint256 orderId) external;

    /// @notice The tenant leases the order to `provider` at its bid, at any time while the order is
    /// open, also before the deadline and also when it is not the best bid. The tenant names the
    /// most it accepts to pay, so that a bid raised after the tenant read it (cancelled and placed
    /// again higher, e.g. just ahead of this transaction) is refused rather than accepted.
    /// @dev Emits {LeaseCreated}.
    ///
    /// Requirements:
    /// - The marketplace is not paused.
    /// - The order is open and the caller is its tenant.
    /// - `provider` has a live bid on it, at most `maxPricePerSecond`.
    /// @param orderId The order.
    /// @param provider The provider whose bid is accepted.
    /// @param maxPricePerSecond The most the tenant accepts, in token base units per second:
    /// normally the bid's price as the tenant saw it.
    function acceptBid(uint256 orderId, address provider, uint256 maxPricePerSecond) external;

    /// @notice Anyone leases an order whose bidding is over to its best bid: the reverse auction.
    /// @dev Emits {LeaseCreated}.
    ///
    /// Requirements:
    /// - The marketplace is not paused.
    /// - The order is open, its deadline has passed and it has a live bid.
    /// @param orderId The order.
    function finalize(uint256 orderId) external;

    /// @notice Cancels an open order and refunds its deposit to the tenant. The tenant can cancel
    /// while no lease exists; anyone can cancel an order left without bids after its deadline.
    /// A refund the token refuses is credited to the tenant's `claimable`.
    /// @dev Emits {OrderCancelled}, then {PaymentDeferred} if the refund was credited. Never paused.
    ///
    /// Requirements:
    /// - The order is open.
    /// - The caller is the tenant, or the deadline has passed and the order has no live bid.
    /// @param orderId The order.
    function cancelOrder(uint256 orderId) external;

    /// @notice Adds `amount` to a lease's escrow; anyone may pay.
    /// @dev Emits {Deposited}. Never paused. A lease whose escrow has run out is over: close it and
    /// order again.
    ///
    /// Requirements:
    /// - The lease is open and its escrow has not run out.
    /// - `amount` is positive and the escrow stays below 2^128.
    /// - The caller approved `amount` to the marketplace, and the token delivers it in full.
    /// @param leaseId The lease.
    /// @param amount The amount, in token base units.
    function deposit(uint256 leaseId, uint256 amount) external;

    /// @notice Pays the caller what its leases have streamed, less the protocol fee, in one
    /// transfer. Closed leases in the list are skipped, so a batch survives a close racing it.
    /// A payment the token refuses is credited to the caller's `claimable`.
    /// @dev Emits {Withdrawn} for each lease that paid something, then {PaymentDeferred} if the
    /// payment was credited. Never paused.
    ///
    /// Requirements:
    /// - The caller is the provider of every lease in `leaseIds`.
    /// @param leaseIds The leases.
    /// @return paid What the leases paid the caller, net of fees, in token base units: transferred,
    /// or credited to its `claimable` when the token refused the transfer.
    function withdraw(uint256[] calldata leaseIds) external returns (uint256 paid);

    /// @notice Ends a lease: pays the provider what has streamed (less the fee) and refunds the
    /// rest of the escrow to the tenant. A payment the token refuses (e.g. it blacklists the
    /// provider or the tenant) is credited to that party's `claimable`; the other party is paid
    /// and the lease closes regardless.
    /// @dev Emits {LeaseClosed}, then {PaymentDeferred} for each payment that was credited. Never
    /// paused.
    ///
    /// Requirements:
    /// - The lease is open.
    /// - The caller is the tenant or the provider, or the escrow has run out.
    /// @param leaseId The lease.
    function close(uint256 leaseId) external;

    /// @notice The tenant replaces a running lease's workload manifest; the provider's operator
    /// redeploys from the emitted manifest, whose hash the lease now carries.
    /// @dev Emits {ManifestUpdated}.
    ///
    /// Requirements:
    /// - The lease is open and the caller is its tenant.
    /// - `manifest` is not empty.
    /// @param leaseId The lease.
    /// @param manifest The new manifest's canonical bytes.
    function updateManifest(uint256 leaseId, bytes calldata manifest) external;

    /// @notice Pays the caller's deferred payments (its whole `claimable`) to `to`, e.g. once the
    /// token no longer blocks the caller, or to another address of the caller's.
    /// @dev Emits {Claimed}. Never paused.
    ///
    /// Requirements:
    /// - `to` is not the zero address, and the token transfers to it.
    /// - The caller has something to claim.
    /// @param to Where the payment goes.
    /// @return amount What `to` received, in token base units.
    function claim(address to) external returns (uint256 amount);

    /// @notice Pays the accumulated protocol fees to the treasury; anyone may call. Unlike the
    /// payments to tenants and providers, a transfer the token refuses reverts: the fees stay
    /// and the owner can set another treasury.
    /// @dev Emits {FeesClaimed}.
    /// @return amount What the treasury received.
    function claimFees() external returns (uint256 amount);

    /// @notice Sets the protocol fee of leases that start from now on.
    /// @dev Emits {FeeUpdated}.
    ///
    /// Requirements:
    /// - The caller is the owner.
    /// - `newFeeBps` is at most `MAX_FEE_BPS`.
    /// @param newFeeBps The fee, in basis points of each payout.
    function setFee(uint16 newFeeBps) external;

    /// @notice Sets where protocol fees go.
    /// @dev Emits {TreasuryUpdated}.
    ///
    /// Requirements:
    /// - The caller is the owner.
    /// - `newTreasury` is not the zero address.
    /// @param newTreasury The new treasury.
    function setTreasury(address newTreasury) external;

    /// @notice Sets the run, in seconds, that a new order's deposit must cover at its maximum price.
    /// @dev Emits {MinRunUpdated}.
    ///
    /// Requirements:
    /// - The caller is the owner.
    /// @param newMinRunSeconds The minimum run, in seconds.
    function setMinRunSeconds(uint32 newMinRunSeconds) external;

    /// @notice Stops new orders, bids and leases (an emergency brake). Withdrawals, deposits,
    /// closes, refunds, cancellations and claims keep working.
    /// @dev Emits {Paused}.
    ///
    /// Requirements:
    /// - The caller is the owner.
    function pause() external;

    /// @notice Lets new orders, bids and leases in again.
    /// @dev Emits {Unpaused}.
    ///
    /// Requirements:
    /// - The caller is the owner.
    function unpause() external;
}
