// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IMarketplace} from "./interfaces/IMarketplace.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {Errors} from "./libraries/Errors.sol";
import {
    Bid,
    BidSkipReason,
    BidView,
    Lease,
    LeaseView,
    Order,
    OrderStatus,
    OrderView,
    Resources
} from "./types/DataTypes.sol";

/// @title Marketplace
/// @notice See {IMarketplace}. No upgradeability: a new version is a new deployment.
/// @dev Every call that moves tokens is `nonReentrant` (OpenZeppelin's ReentrancyGuard on
/// transient storage) and follows checks-effects-interactions; every payment to a tenant or a
/// provider goes through `_pay`, which credits a refused transfer instead of reverting.
/// Conservation: the marketplace's token balance equals the sum of all escrows (`Lease.balance`)
/// plus `unclaimedFees` plus `totalClaimable`.
contract Marketplace is IMarketplace, Ownable2Step, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STATE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMarketplace
    uint256 public constant override MAX_FEE_BPS = 1000;

    /// @inheritdoc IMarketplace
    uint256 public constant override MAX_BIDDING_DURATION = 30 days;

    /// @inheritdoc IMarketplace
    uint256 public constant override MAX_BIDS_PER_ORDER = 32;

    /// @inheritdoc IMarketplace
    uint256 public constant override MAX_BATCH_READ = 500;

    uint256 private constant BPS = 10_000;

    /// @inheritdoc IMarketplace
    IERC20 public immutable override token;

    /// @inheritdoc IMarketplace
    IProviderRegistry public immutable override registry;

    // One slot: read together by createOrder (minimum run, id) and by a lease's start (fee).
    /// @inheritdoc IMarketplace
    address public override treasury;
    /// @inheritdoc IMarketplace
    uint16 public override feeBps;
    /// @inheritdoc IMarketplace
    uint32 public override minRunSeconds;
    /// @inheritdoc IMarketplace
    uint48 public override lastOrderId;

    /// @inheritdoc IMarketplace
    uint256 public override unclaimedFees;

    /// @inheritdoc IMarketplace
    uint256 public override totalClaimable;

    /// @inheritdoc IMarketplace
    mapping(address account => uint256) public override claimable;

    mapping(uint256 orderId => Order) private _orders;
    /// @dev A lease has the id of its order; it holds the order's escrow from its creation.
    mapping(uint256 leaseId => Lease) private _leases;
    mapping(uint256 orderId => mapping(address provider => Bid)) private _bids;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param owner_ Who sets the fee, the treasury and the minimum run, and can pause.
    /// @param token_ The payment token: a plain ERC-20 (no fee on transfer, no rebasing).
    /// @param registry_ The registry whose providers may bid.
    /// @param treasury_ Where protocol fees go.
    /// @param feeBps_ The protocol fee, in basis points, at most `MAX_FEE_BPS`.
    /// @param minRunSeconds_ The run a deposit must cover at an order's maximum price.
    constructor(
        address owner_,
        IERC20 token_,
        IProviderRegistry registry_,
        address treasury_,
        uint16 feeBps_,
        uint32 minRunSeconds_
    ) Ownable(owner_) {
        if (
            address(token_) == address(0) || address(registry_) == address(0)
                || treasury_ == address(0)
        ) {
            revert Errors.Marketplace_ZeroAddress();
        }
        if (feeBps_ > MAX_FEE_BPS) revert Errors.Marketplace_FeeTooHigh(feeBps_, MAX_FEE_BPS);
        token = token_;
        registry = registry_;
        treasury = treasury_;
        feeBps = feeBps_;
        minRunSeconds = minRunSeconds_;
    }

    /*//////////////////////////////////////////////////////////////
                            CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMarketplace
    function getOrder(uint256 orderId) external view override returns (OrderView memory) {
        return _orderView(orderId);
    }

    /// @inheritdoc IMarketplace
    function getOrders(uint256[] calldata orderIds)
        external
        view
        override
        returns (OrderView[] memory orders)
    {
        _requireBatchReadable(orderIds.length);
        orders = new OrderView[](orderIds.length);
        for (uint256 i; i < orderIds.length; ++i) {
            orders[i] = _orderView(orderIds[i]);
        }
    }

    /// @inheritdoc IMarketplace
    function getBids(uint256 orderId) external view override returns (BidView[] memory bids) {
        mapping(address => Bid) storage orderBids = _bids[orderId];
        Order storage order = _orders[orderId];
        uint256 count = order.bidCount;
        bids = new BidView[](count);
        address current = order.bestBidder;
        for (uint256 i; i < count; ++i) {
            bids[i] = BidView(current, orderBids[current].pricePerSecond);
            current = orderBids[current].next;
        }
    }

    /// @inheritdoc IMarketplace
    function getBid(uint256 orderId, address provider) external view override returns (uint256) {
        return _bids[orderId][provider].pricePerSecond;
    }

    /// @inheritdoc IMarketplace
    function getBidsOf(uint256[] calldata orderIds, address provider)
        external
        view
        override
        returns (uint256[] memory pricesPerSecond)
    {
        _requireBatchReadable(orderIds.length);
        pricesPerSecond = new uint256[](orderIds.length);
        for (uint256 i; i < orderIds.length; ++i) {
            pricesPerSecond[i] = _bids[orderIds[i]][provider].pricePerSecond;
        }
    }

    /// @inheritdoc IMarketplace
    function getLease(uint256 leaseId) external view override returns (LeaseView memory) {
        return _leaseView(leaseId);
    }

    /// @inheritdoc IMarketplace
    function getLeases(uint256[] calldata leaseIds)
        external
        view
        override
        returns (LeaseView[] memory leases)
    {
        _requireBatchReadable(leaseIds.length);
        leases = new LeaseView[](leaseIds.length);
        for (uint256 i; i < leaseIds.length; ++i) {
            leases[i] = _leaseView(leaseIds[i]);
        }
    }

    /// @inheritdoc IMarketplace
    function accruedOf(uint256 leaseId) external view override returns (uint256) {
        return _accrued(_leases[leaseId]);
    }

    /*//////////////////////////////////////////////////////////////
                          NON-CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMarketplace
    function createOrder(
        Resources calldata resources,
        uint256 maxPricePerSecond,
        uint256 biddingDuration,
        uint256 deposit_,
        bytes calldata manifest
    ) external override nonReentrant whenNotPaused returns (uint256 orderId) {
        if (
            resources.cpuMillicores == 0 || resources.memoryMiB == 0
                || (resources.gpuCount != 0 && resources.gpuModel == bytes32(0))
        ) {
            revert Errors.Marketplace_InvalidResources();
        }
        if (maxPricePerSecond == 0 || maxPricePerSecond > type(uint96).max) {
            revert Errors.Marketplace_InvalidMaxPrice(maxPricePerSecond);
        }
        if (biddingDuration == 0 || biddingDuration > MAX_BIDDING_DURATION) {
            revert Errors.Marketplace_InvalidBiddingDuration(biddingDuration, MAX_BIDDING_DURATION);
        }
        uint256 minimumDeposit = maxPricePerSecond * minRunSeconds;
        if (deposit_ == 0 || deposit_ < minimumDeposit) {
            revert Errors.Marketplace_DepositTooSmall(deposit_, minimumDeposit);
        }
        if (deposit_ > type(uint128).max) revert Errors.Marketplace_EscrowOverflow(deposit_);
        if (manifest.length == 0) revert Errors.Marketplace_EmptyManifest();

        orderId = ++lastOrderId;
        bytes32 manifestHash = keccak256(manifest);
        uint256 biddingDeadline = block.timestamp + biddingDuration;
        Order storage order = _orders[orderId];
        order.tenant = msg.sender;
        // At most 30 days from now: fits until the year 36812.
        // forge-lint: disable-next-line(unsafe-typecast)
        order.biddingDeadline = uint40(biddingDeadline);
        order.status = OrderStatus.Open;
        // Checked above: below 2^96.
        // forge-lint: disable-next-line(unsafe-typecast)
        order.maxPricePerSecond = uint96(maxPricePerSecond);
        order.manifestHash = manifestHash;
        order.resources = resources;
        // Checked above: below 2^128.
        // forge-lint: disable-next-line(unsafe-typecast)
        _leases[orderId].balance = uint128(deposit_);

        emit OrderCreated(
            orderId,
            msg.sender,
            resources.gpuModel,
            resources,
            maxPricePerSecond,
            biddingDeadline,
            deposit_,
            manifestHash,
            manifest
        );
        _pullTokens(deposit_);
    }

    /// @inheritdoc IMarketplace
    function placeBid(uint256 orderId, uint256 pricePerSecond) external override whenNotPaused {
        if (pricePerSecond == 0) revert Errors.Marketplace_ZeroAmount();
        _requireRegistered();
        BidSkipReason refused = _placeBid(orderId, pricePerSecond);
        if (refused != BidSkipReason.None) _revertRefusedBid(orderId, pricePerSecond, refused);
    }

    /// @inheritdoc IMarketplace
    function placeBids(uint256[] calldata orderIds, uint256[] calldata pricesPerSecond)
        external
        override
        whenNotPaused
        returns (uint256 placed)
    {
        uint256 count = orderIds.length;
        if (pricesPerSecond.length != count) {
            revert Errors.Marketplace_BatchLengthMismatch(count, pricesPerSecond.length);
        }
        _requireRegistered();
        for (uint256 i; i < count; ++i) {
            uint256 pricePerSecond = pricesPerSecond[i];
            if (pricePerSecond == 0) revert Errors.Marketplace_ZeroAmount();
            uint256 orderId = orderIds[i];
            BidSkipReason refused = _placeBid(orderId, pricePerSecond);
            if (refused == BidSkipReason.None) {
                ++placed;
            } else {
                emit BidSkipped(orderId, msg.sender, pricePerSecond, refused);
            }
        }
    }

    /// @inheritdoc IMarketplace
    function cancelBid(uint256 orderId) external override {
        Order storage order = _orders[orderId];
        _requireOpen(orderId, order);
        if (block.timestamp >= order.biddingDeadline) {
            revert Errors.Marketplace_BiddingClosed(orderId, order.biddingDeadline);
        }
        if (_bids[orderId][msg.sender].pricePerSecond == 0) {
            revert Errors.Marketplace_NoBid(orderId, msg.sender);
        }
        _unlinkBid(orderId, order, msg.sender);
        delete _bids[orderId][msg.sender];
        --order.bidCount;

        address bestBidder = order.bestBidder;
        emit BidCancelled(
            orderId, msg.sender, bestBidder, _bids[orderId][bestBidder].pricePerSecond
        );
    }

    /// @inheritdoc IMarketplace
    function acceptBid(uint256 orderId, address provider, uint256 maxPricePerSecond)
        external
        override
        whenNotPaused
    {
        Order storage order = _orders[orderId];
        _requireOpen(orderId, order);
        if (msg.sender != order.tenant) {
            revert Errors.Marketplace_CallerNotTenant(orderId, msg.sender, order.tenant);
        }
        uint96 pricePerSecond = _bids[orderId][provider].pricePerSecond;
        if (pricePerSecond == 0) revert Errors.Marketplace_NoBid(orderId, provider);
        if (pricePerSecond > maxPricePerSecond) {
            revert Errors.Marketplace_BidAboveLimit(
                orderId, provider, pricePerSecond, maxPricePerSecond
            );
        }
        _startLease(orderId, order, provider, pricePerSecond);
    }

    /// @inheritdoc IMarketplace
    function finalize(uint256 orderId) external override whenNotPaused {
        Order storage order = _orders[orderId];
        _requireOpen(orderId, order);
        if (block.timestamp < order.biddingDeadline) {
            revert Errors.Marketplace_BiddingOpen(orderId, order.biddingDeadline);
        }
        address provider = order.bestBidder;
        if (provider == address(0)) revert Errors.Marketplace_NoBids(orderId);
        _startLease(orderId, order, provider, _bids[orderId][provider].pricePerSecond);
    }

    /// @inheritdoc IMarketplace
    function cancelOrder(uint256 orderId) external override nonReentrant {
        Order storage order = _orders[orderId];
        _requireOpen(orderId, order);
        address tenant = order.tenant;
        if (
            msg.sender != tenant
                && (block.timestamp < order.biddingDeadline || order.bestBidder != address(0))
        ) {
            revert Errors.Marketplace_CancelNotAllowed(orderId, msg.sender);
        }
        order.status = OrderStatus.Cancelled;
        Lease storage escrow = _leases[orderId];
        uint256 refund = escrow.balance;
        escrow.balance = 0;

        emit OrderCancelled(orderId, tenant, msg.sender, refund);
        if (refund != 0) _pay(tenant, refund);
    }

    /// @inheritdoc IMarketplace
    function deposit(uint256 leaseId, uint256 amount) external override nonReentrant {
        Lease storage lease = _leases[leaseId];
        Lease memory current = lease;
        _requireActive(leaseId, current);
        if (amount == 0) revert Errors.Marketplace_ZeroAmount();
        // Topping up an exhausted escrow would pay for the time it was empty: refuse.
        if (current.balance <= _owed(current)) {
            revert Errors.Marketplace_EscrowExhausted(leaseId, _fundedUntil(current));
        }
        uint256 escrow = current.balance + amount;
        if (escrow > type(uint128).max) revert Errors.Marketplace_EscrowOverflow(escrow);
        // Checked above: below 2^128.
        // forge-lint: disable-next-line(unsafe-typecast)
        current.balance = uint128(escrow);
        lease.balance = current.balance;

        emit Deposited(leaseId, msg.sender, amount, escrow, _fundedUntil(current));
        _pullTokens(amount);
    }

    /// @inheritdoc IMarketplace
    function withdraw(uint256[] calldata leaseIds)
        external
        override
        nonReentrant
        returns (uint256 paid)
    {
        uint256 fees;
        for (uint256 i; i < leaseIds.length; ++i) {
            uint256 leaseId = leaseIds[i];
            Lease storage lease = _leases[leaseId];
            Lease memory current = lease;
            if (current.provider != msg.sender) {
                revert Errors.Marketplace_CallerNotProvider(leaseId, msg.sender, current.provider);
            }
            if (current.closedAt != 0) continue;
            uint256 amount = _accrued(current);
            if (amount == 0) continue;

            uint256 escrow = current.balance - amount;
            // At most the previous escrow, a uint128.
            // forge-lint: disable-next-line(unsafe-typecast)
            lease.balance = uint128(escrow);
            lease.settledAt = uint40(block.timestamp);
            uint256 fee = amount * current.feeBps / BPS;
            fees += fee;
            paid += amount - fee;
            emit Withdrawn(leaseId, msg.sender, amount, fee, escrow);
        }
        if (fees != 0) unclaimedFees += fees;
        if (paid != 0) _pay(msg.sender, paid);
    }

    /// @inheritdoc IMarketplace
    function close(uint256 leaseId) external override nonReentrant {
        Lease storage lease = _leases[leaseId];
        Lease memory current = lease;
        _requireActive(leaseId, current);
        address tenant = _orders[leaseId].tenant;
        uint256 owed = _owed(current);
        bool exhausted = current.balance <= owed;
        if (msg.sender != tenant && msg.sender != current.provider && !exhausted) {
            revert Errors.Marketplace_CallerNotParty(leaseId, msg.sender);
        }

        uint256 amount = exhausted ? current.balance : owed;
        uint256 fee = amount * current.feeBps / BPS;
        uint256 payout = amount - fee;
        uint256 refund = current.balance - amount;
        lease.balance = 0;
        lease.settledAt = uint40(block.timestamp);
        lease.closedAt = uint40(block.timestamp);
        if (fee != 0) unclaimedFees += fee;

        emit LeaseClosed(leaseId, tenant, current.provider, msg.sender, payout, fee, refund);
        // Each party is paid on its own: a transfer the token refuses to one of them is credited
        // to it, and neither the other party's payment nor the close depends on it.
        if (payout != 0) _pay(current.provider, payout);
        if (refund != 0) _pay(tenant, refund);
    }

    /// @inheritdoc IMarketplace
    function updateManifest(uint256 leaseId, bytes calldata manifest) external override {
        Order storage order = _orders[leaseId];
        _requireActive(leaseId, _leases[leaseId]);
        if (msg.sender != order.tenant) {
            revert Errors.Marketplace_CallerNotTenant(leaseId, msg.sender, order.tenant);
        }
        if (manifest.length == 0) revert Errors.Marketplace_EmptyManifest();
        bytes32 manifestHash = keccak256(manifest);
        order.manifestHash = manifestHash;
        emit ManifestUpdated(leaseId, msg.sender, manifestHash, manifest);
    }

    /// @inheritdoc IMarketplace
    function claim(address to) external override nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert Errors.Marketplace_ZeroAddress();
        amount = claimable[msg.sender];
        if (amount == 0) revert Errors.Marketplace_NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        totalClaimable -= amount;
        emit Claimed(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @inheritdoc IMarketplace
    function claimFees() external override nonReentrant returns (uint256 amount) {
        amount = unclaimedFees;
        unclaimedFees = 0;
        address to = treasury;
        emit FeesClaimed(to, amount);
        if (amount != 0) token.safeTransfer(to, amount);
    }

    /// @inheritdoc IMarketplace
    function setFee(uint16 newFeeBps) external override onlyOwner {
        if (newFeeBps > MAX_FEE_BPS) revert Errors.Marketplace_FeeTooHigh(newFeeBps, MAX_FEE_BPS);
        emit FeeUpdated(feeBps, newFeeBps);
        feeBps = newFeeBps;
    }

    /// @inheritdoc IMarketplace
    function setTreasury(address newTreasury) external override onlyOwner {
        if (newTreasury == address(0)) revert Errors.Marketplace_ZeroAddress();
        emit TreasuryUpdated(treasury, newTreasury);
        treasury = newTreasury;
    }

    /// @inheritdoc IMarketplace
    function setMinRunSeconds(uint32 newMinRunSeconds) external override onlyOwner {
        emit MinRunUpdated(minRunSeconds, newMinRunSeconds);
        minRunSeconds = newMinRunSeconds;
    }

    /// @inheritdoc IMarketplace
    function pause() external override onlyOwner {
        _pause();
    }

    /// @inheritdoc IMarketplace
    function unpause() external override onlyOwner {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev A batch read is bounded so that one call stays well inside an RPC node's gas cap for
    /// `eth_call`: 500 leases read about 5M gas, 500 orders about 9M, 500 bids about 1.7M (50 times
    /// the 10 of `.gas-snapshot`).
    function _requireBatchReadable(uint256 length) private pure {
        if (length > MAX_BATCH_READ) {
            revert Errors.Marketplace_BatchTooLarge(length, MAX_BATCH_READ);
        }
    }

    function _orderView(uint256 orderId) private view returns (OrderView memory view_) {
        Order storage order = _orders[orderId];
        view_.tenant = order.tenant;
        view_.status = order.status;
        view_.biddingDeadline = order.biddingDeadline;
        view_.maxPricePerSecond = order.maxPricePerSecond;
        view_.manifestHash = order.manifestHash;
        view_.resources = order.resources;
        view_.bestBidder = order.bestBidder;
        view_.bestPricePerSecond = _bids[orderId][order.bestBidder].pricePerSecond;
        if (order.status == OrderStatus.Open) view_.escrow = _leases[orderId].balance;
        view_.bidCount = order.bidCount;
    }

    function _leaseView(uint256 leaseId) private view returns (LeaseView memory view_) {
        Lease memory lease = _leases[leaseId];
        view_.tenant = _orders[leaseId].tenant;
        view_.provider = lease.provider;
        if (lease.provider == address(0)) return view_;
        view_.pricePerSecond = lease.pricePerSecond;
        view_.accrued = _accrued(lease);
        view_.remaining = lease.balance - view_.accrued;
        view_.settledAt = lease.settledAt;
        view_.closedAt = lease.closedAt;
        view_.fundedUntil = lease.closedAt != 0 ? lease.closedAt : _fundedUntil(lease);
        view_.feeBps = lease.feeBps;
        view_.active = lease.closedAt == 0;
    }

    function _requireOpen(uint256 orderId, Order storage order) private view {
        if (order.status != OrderStatus.Open) {
            revert Errors.Marketplace_OrderNotOpen(orderId, order.status);
        }
    }

    function _requireActive(uint256 leaseId, Lease memory lease) private pure {
        if (lease.provider == address(0)) revert Errors.Marketplace_LeaseNotActive(leaseId);
        if (lease.closedAt != 0) revert Errors.Marketplace_LeaseClosed(leaseId, lease.closedAt);
    }

    /// @dev What the lease's rate has earned since the last settlement, unbounded by the escrow.
    function _owed(Lease memory lease) private view returns (uint256) {
        return uint256(lease.pricePerSecond) * (block.timestamp - lease.settledAt);
    }

    /// @dev What the provider can take now: the owed amount, at most the escrow; zero once closed.
    function _accrued(Lease memory lease) private view returns (uint256) {
        if (lease.provider == address(0) || lease.closedAt != 0) return 0;
        uint256 owed = _owed(lease);
        return owed < lease.balance ? owed : lease.balance;
    }

    function _fundedUntil(Lease memory lease) private pure returns (uint256) {
        return lease.settledAt + lease.balance / lease.pricePerSecond;
    }

    function _startLease(
        uint256 orderId,
        Order storage order,
        address provider,
        uint96 pricePerSecond
    ) private {
        order.status = OrderStatus.Leased;
        Lease storage lease = _leases[orderId];
        lease.provider = provider;
        lease.pricePerSecond = pricePerSecond;
        lease.settledAt = uint40(block.timestamp);
        uint16 leaseFeeBps = feeBps;
        lease.feeBps = leaseFeeBps;
        uint256 escrow = lease.balance;
        emit LeaseCreated(
            orderId,
            order.tenant,
            provider,
            pricePerSecond,
            escrow,
            leaseFeeBps,
            block.timestamp,
            block.timestamp + escrow / pricePerSecond
        );
    }

    function _requireRegistered() private view {
        if (!registry.isRegistered(msg.sender)) {
            revert Errors.Marketplace_ProviderNotRegistered(msg.sender);
        }
    }

    /// @dev Places or lowers the caller's bid at a positive price, or returns why the order
    /// refuses it (changing nothing then); `None` when placed. The one path of `placeBid` and
    /// `placeBids`.
    function _placeBid(uint256 orderId, uint256 pricePerSecond) private returns (BidSkipReason) {
        Order storage order = _orders[orderId];
        if (order.status != OrderStatus.Open) return BidSkipReason.OrderNotOpen;
        if (block.timestamp >= order.biddingDeadline) return BidSkipReason.BiddingClosed;
        if (msg.sender == order.tenant) return BidSkipReason.SelfBid;
        if (pricePerSecond > order.maxPricePerSecond) return BidSkipReason.AboveMax;

        // Checked above: at most the order's maximum, a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 price = uint96(pricePerSecond);
        Bid storage bid = _bids[orderId][msg.sender];
        uint96 currentPrice = bid.pricePerSecond;
        if (currentPrice == 0) {
            uint16 bidCount = order.bidCount;
            if (bidCount == MAX_BIDS_PER_ORDER) {
                if (!_insertBid(orderId, order, msg.sender, price, true)) {
                    return BidSkipReason.NotBelowWorst;
                }
            } else {
                _insertBid(orderId, order, msg.sender, price, false);
                order.bidCount = bidCount + 1;
            }
        } else if (price >= currentPrice) {
            return BidSkipReason.NotLower;
        } else if (order.bestBidder == msg.sender) {
            // Already first and now lower: still first.
            bid.pricePerSecond = price;
        } else {
            _unlinkBid(orderId, order, msg.sender);
            _insertBid(orderId, order, msg.sender, price, false);
        }

        address bestBidder = order.bestBidder;
        emit BidPlaced(
            orderId,
            msg.sender,
            pricePerSecond,
            bestBidder,
            _bids[orderId][bestBidder].pricePerSecond
        );
        return BidSkipReason.None;
    }

    /// @dev `placeBid`'s revert for a bid `_placeBid` refused, with the values that refused it
    /// (read again: a refused bid changed nothing).
    function _revertRefusedBid(uint256 orderId, uint256 pricePerSecond, BidSkipReason refused)
        private
        view
    {
        Order storage order = _orders[orderId];
        if (refused == BidSkipReason.OrderNotOpen) {
            revert Errors.Marketplace_OrderNotOpen(orderId, order.status);
        }
        if (refused == BidSkipReason.BiddingClosed) {
            revert Errors.Marketplace_BiddingClosed(orderId, order.biddingDeadline);
        }
        if (refused == BidSkipReason.SelfBid) {
            revert Errors.Marketplace_SelfBid(orderId, msg.sender);
        }
        if (refused == BidSkipReason.AboveMax) {
            revert Errors.Marketplace_BidAboveMax(orderId, pricePerSecond, order.maxPricePerSecond);
        }
        mapping(address => Bid) storage orderBids = _bids[orderId];
        if (refused == BidSkipReason.NotLower) {
            revert Errors.Marketplace_BidNotLower(
                orderId, pricePerSecond, orderBids[msg.sender].pricePerSecond
            );
        }
        // NotBelowWorst: the worst is the last bid of the full list.
        address last = order.bestBidder;
        while (orderBids[last].next != address(0)) {
            last = orderBids[last].next;
        }
        revert Errors.Marketplace_BidNotBelowWorst(
            orderId, pricePerSecond, orderBids[last].pricePerSecond
        );
    }

    /// @dev Links a provider's bid into the order's ranked list, after every bid at or below its
    /// price, so that equal prices keep their arrival order. On a `full` list (a new bid when the
    /// order has `MAX_BIDS_PER_ORDER`), a bid that would be last is refused, and otherwise the
    /// last bid is evicted. Either way at most `MAX_BIDS_PER_ORDER` nodes are read. Returns false
    /// (nothing written) when the bid is refused.
    function _insertBid(
        uint256 orderId,
        Order storage order,
        address provider,
        uint96 price,
        bool full
    ) private returns (bool inserted) {
        mapping(address => Bid) storage orderBids = _bids[orderId];
        address previous;
        address current = order.bestBidder;
        while (current != address(0)) {
            Bid storage node = orderBids[current];
            if (node.pricePerSecond > price) break;
            previous = current;
            current = node.next;
        }
        if (full && current == address(0)) return false;
        orderBids[provider] = Bid(price, current);
        if (previous == address(0)) order.bestBidder = provider;
        else orderBids[previous].next = provider;
        if (!full) return true;

        // Evict the last bid: walk on from the new bid to the end of the list.
        address beforeLast = provider;
        address last = current;
        address next = orderBids[last].next;
        while (next != address(0)) {
            beforeLast = last;
            last = next;
            next = orderBids[last].next;
        }
        orderBids[beforeLast].next = address(0);
        uint256 lastPrice = orderBids[last].pricePerSecond;
        delete orderBids[last];
        emit BidEvicted(orderId, last, lastPrice);
        return true;
    }

    /// @dev Takes a provider's bid out of the order's ranked list (the bid itself stays).
    function _unlinkBid(uint256 orderId, Order storage order, address provider) private {
        mapping(address => Bid) storage orderBids = _bids[orderId];
        address next = orderBids[provider].next;
        address current = order.bestBidder;
        if (current == provider) {
            order.bestBidder = next;
            return;
        }
        while (orderBids[current].next != provider) {
            current = orderBids[current].next;
        }
        orderBids[current].next = next;
    }

    /// @dev Pays `amount` to `account`, or, when the token refuses the transfer (it reverts, e.g.
    /// a token that blacklists the account, or returns false), credits it to the account's
    /// `claimable`. The transfer forwards all the gas left, so a caller cannot make it fail by
    /// sending too little gas: a callee out of gas leaves this call 1/64 of what it had, not enough
    /// for the credit's storage write, unless the token spends hundreds of thousands of gas on a
    /// transfer.
    function _pay(address account, uint256 amount) private {
        if (token.trySafeTransfer(account, amount)) return;
        uint256 credit = claimable[account] + amount;
        claimable[account] = credit;
        totalClaimable += amount;
        emit PaymentDeferred(account, amount, credit);
    }

    /// @dev Pulls `amount` from the caller and rejects a token that delivers less.
    function _pullTokens(uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert Errors.Marketplace_TransferAmountMismatch(amount, received);
    }
}
