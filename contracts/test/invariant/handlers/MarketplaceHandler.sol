// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Marketplace} from "../../../src/Marketplace.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {MockERC20} from "../../../src/mocks/MockERC20.sol";
import {LeaseView, OrderStatus, OrderView, Resources} from "../../../src/types/DataTypes.sol";
import {Test} from "../../utils/Test.sol";
import {Vm} from "../../utils/Vm.sol";

/// @notice Drives random sequences of every marketplace call by three tenants and three providers,
/// with inputs bounded to calls that should succeed (the invariant run fails on any revert; an
/// action with nothing to act on is discarded with `vm.assume`, so forge's metrics show the
/// calls that did something as calls minus discards), and
/// keeps an independent record (the "ghost" state) of what should be true: money in and out, what
/// each lease streamed, and a model of the live bids.
contract MarketplaceHandler is Test {
    Marketplace public immutable market;
    MockERC20 public immutable token;
    address public immutable owner;
    address[3] public tenants;
    address[3] public providers;
    address public immutable stranger;

    /*//////////////////////////////////////////////////////////////
                               GHOST STATE
    //////////////////////////////////////////////////////////////*/

    uint256[] public orderIds;
    /// @dev Tokens that entered and left the marketplace, as the callers' balances saw them.
    uint256 public totalIn;
    uint256 public totalOut;

    struct LeaseRecord {
        uint256 deposited; // initial deposit plus top-ups
        uint256 streamed; // paid out to the provider, fee included
        uint256 payout; // what the provider received
        uint256 fees;
        uint256 refund;
        uint256 rate;
        uint256 startedAt;
        uint256 closedAt;
        uint256 streamedAfterClose;
    }

    mapping(uint256 id => LeaseRecord) private _records;

    /// @dev The model of live bids: price and a sequence number of the placing or lowering.
    mapping(uint256 id => mapping(address provider => uint256)) public modelPrice;
    mapping(uint256 id => mapping(address provider => uint256)) public modelSequence;
    uint256 private _sequence;

    constructor(Marketplace market_, MockERC20 token_, address owner_) {
        market = market_;
        token = token_;
        owner = owner_;
        stranger = makeAddr("stranger");
        string[3] memory digits = ["0", "1", "2"];
        for (uint256 i; i < 3; ++i) {
            tenants[i] = makeAddr(string.concat("tenant", digits[i]));
            providers[i] = makeAddr(string.concat("provider", digits[i]));
            fund(tenants[i]);
        }
        fund(stranger);
    }

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    function createOrder(uint256 tenantSeed, uint256 maxPrice, uint256 duration, uint256 escrow)
        external
    {
        vm.assume(!market.paused());
        address tenant = tenants[tenantSeed % 3];
        maxPrice = bound(maxPrice, 1, 1e6);
        duration = bound(duration, 1 hours, 3 days);
        escrow = bound(escrow, maxPrice * market.minRunSeconds(), maxPrice * 30 days);
        Resources memory resources =
            Resources(keccak256("NVIDIA-H100-80GB-HBM3"), 1, 81_559, 8000, 65_536, 102_400);

        uint256 before = token.balanceOf(tenant);
        vm.prank(tenant);
        uint256 id = market.createOrder(resources, maxPrice, duration, escrow, "services: []\n");
        totalIn += before - token.balanceOf(tenant);
        orderIds.push(id);
        _records[id].deposited = escrow;
    }

    function placeBid(uint256 orderSeed, uint256 providerSeed, uint256 price) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(!(!found || market.paused() || block.timestamp >= order.biddingDeadline));
        address provider = providers[providerSeed % 3];
        uint256 current = modelPrice[id][provider];
        vm.assume(current != 1); // cannot go lower
        uint256 upper = current == 0 ? order.maxPricePerSecond : current - 1;
        // Half the bids anywhere below the limit, half within 3 of it, so that prices tie.
        price = price % 2 == 0
            ? bound(price, 1, upper)
            : upper - (price >> 1) % (upper < 3 ? upper : 3);
        vm.prank(provider);
        market.placeBid(id, price);
        modelPrice[id][provider] = price;
        modelSequence[id][provider] = ++_sequence;
    }

    function cancelBid(uint256 orderSeed, uint256 providerSeed) external {
        (bool found, uint256 id,) = openOrder(orderSeed);
        address provider = providers[providerSeed % 3];
        vm.assume(!(!found || modelPrice[id][provider] == 0));
        vm.prank(provider);
        market.cancelBid(id);
        modelPrice[id][provider] = 0;
    }

    function acceptBid(uint256 orderSeed, uint256 providerSeed) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        address provider = providers[providerSeed % 3];
        vm.assume(!(!found || market.paused() || modelPrice[id][provider] == 0));
        vm.prank(order.tenant);
        market.acceptBid(id, provider);
        recordLeaseStart(id, modelPrice[id][provider]);
    }

    function finalize(uint256 orderSeed) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(!(!found || market.paused() || order.bestBidder == address(0)));
        if (block.timestamp < order.biddingDeadline) vm.warp(order.biddingDeadline);
        vm.prank(stranger);
        market.finalize(id);
        recordLeaseStart(id, modelPrice[id][order.bestBidder]);
    }

    function cancelOrder(uint256 orderSeed, bool byStranger) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(found);
        byStranger = byStranger && block.timestamp >= order.biddingDeadline
            && order.bestBidder == address(0);
        uint256 before = token.balanceOf(order.tenant);
        vm.prank(byStranger ? stranger : order.tenant);
        market.cancelOrder(id);
        uint256 refund = token.balanceOf(order.tenant) - before;
        totalOut += refund;
        _records[id].refund = refund;
    }

    function deposit(uint256 leaseSeed, uint256 amount, bool byStranger) external {
        (bool found, uint256 id, LeaseView memory lease) = activeLease(leaseSeed);
        vm.assume(!(!found || lease.remaining == 0)); // an exhausted escrow takes no deposit
        amount = bound(amount, 1, 1e12);
        address funder = byStranger ? stranger : lease.tenant;
        uint256 before = token.balanceOf(funder);
        vm.prank(funder);
        market.deposit(id, amount);
        totalIn += before - token.balanceOf(funder);
        _records[id].deposited += amount;
    }

    /// @dev Withdraws a batch of a provider's leases, closed ones included (they are skipped).
    function withdraw(uint256 providerSeed, uint256 maxLeases) external {
        address provider = providers[providerSeed % 3];
        maxLeases = bound(maxLeases, 1, 10);
        uint256[] memory batch = new uint256[](maxLeases);
        uint256 count;
        for (uint256 i = orderIds.length; i > 0 && count < maxLeases; --i) {
            uint256 id = orderIds[i - 1];
            if (market.getLease(id).provider == provider) batch[count++] = id;
        }
        vm.assume(count != 0);
        assembly ("memory-safe") {
            mstore(batch, count)
        }

        uint256 before = token.balanceOf(provider);
        uint256 feesBefore = market.unclaimedFees();
        vm.recordLogs();
        vm.prank(provider);
        uint256 paid = market.withdraw(batch);
        uint256 received = token.balanceOf(provider) - before;
        assertEq(received, paid, "withdraw returns what it paid");
        totalOut += received;

        // Attribute the batch to its leases from the events, and check them against the balances.
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 net;
        uint256 fees;
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter != address(market)
                    || logs[i].topics[0] != IMarketplace.Withdrawn.selector
            ) continue;
            uint256 id = uint256(logs[i].topics[1]);
            (uint256 amount, uint256 fee,) = abi.decode(logs[i].data, (uint256, uint256, uint256));
            LeaseRecord storage leaseRecord = _records[id];
            leaseRecord.streamed += amount;
            leaseRecord.payout += amount - fee;
            leaseRecord.fees += fee;
            if (leaseRecord.closedAt != 0) leaseRecord.streamedAfterClose += amount;
            net += amount - fee;
            fees += fee;
        }
        assertEq(net, received, "the events add up to the payment");
        assertEq(market.unclaimedFees() - feesBefore, fees, "the events add up to the fees");
    }

    function close(uint256 leaseSeed, uint256 callerSeed) external {
        (bool found, uint256 id, LeaseView memory lease) = activeLease(leaseSeed);
        vm.assume(found);
        uint256 who = callerSeed % 3;
        // A stranger may close only an exhausted lease.
        if (who == 2 && lease.remaining != 0) who = 0;
        address caller = who == 0 ? lease.tenant : (who == 1 ? lease.provider : stranger);

        uint256 tenantBefore = token.balanceOf(lease.tenant);
        uint256 providerBefore = token.balanceOf(lease.provider);
        uint256 feesBefore = market.unclaimedFees();
        vm.prank(caller);
        market.close(id);
        LeaseRecord storage leaseRecord = _records[id];
        uint256 payout = token.balanceOf(lease.provider) - providerBefore;
        uint256 fee = market.unclaimedFees() - feesBefore;
        leaseRecord.payout += payout;
        leaseRecord.fees += fee;
        leaseRecord.streamed += payout + fee;
        leaseRecord.refund = token.balanceOf(lease.tenant) - tenantBefore;
        leaseRecord.closedAt = block.timestamp;
        totalOut += payout + leaseRecord.refund;
    }

    function updateManifest(uint256 leaseSeed) external {
        (bool found, uint256 id, LeaseView memory lease) = activeLease(leaseSeed);
        vm.assume(found);
        vm.prank(lease.tenant);
        market.updateManifest(id, "services: [{name: v2}]\n");
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 1 days));
    }

    function setFee(uint256 feeBps) external {
        uint16 newFeeBps = uint16(bound(feeBps, 0, market.MAX_FEE_BPS()));
        vm.prank(owner);
        market.setFee(newFeeBps);
    }

    /// @dev Unpauses, or pauses one time in four (a paused market makes most other actions
    /// no-ops, so long pauses would starve the run).
    function togglePause(uint256 seed) external {
        bool paused = market.paused();
        vm.assume(paused || seed % 4 == 0);
        vm.prank(owner);
        if (paused) market.unpause();
        else market.pause();
    }

    function claimFees() external {
        address treasury = market.treasury();
        uint256 before = token.balanceOf(treasury);
        vm.prank(stranger);
        market.claimFees();
        totalOut += token.balanceOf(treasury) - before;
    }

    /*//////////////////////////////////////////////////////////////
                              GHOST READERS
    //////////////////////////////////////////////////////////////*/

    function orderCount() external view returns (uint256) {
        return orderIds.length;
    }

    function record(uint256 id) external view returns (LeaseRecord memory) {
        return _records[id];
    }

    /// @dev The model's best bid: the lowest price, then the lowest sequence number.
    function modelBest(uint256 id) external view returns (address best, uint256 price) {
        uint256 sequence;
        for (uint256 i; i < 3; ++i) {
            uint256 p = modelPrice[id][providers[i]];
            if (p == 0) continue;
            uint256 s = modelSequence[id][providers[i]];
            if (best == address(0) || p < price || (p == price && s < sequence)) {
                (best, price, sequence) = (providers[i], p, s);
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    function fund(address account) private {
        token.mint(account, 1e30);
        vm.prank(account);
        token.approve(address(market), type(uint256).max);
    }

    function recordLeaseStart(uint256 id, uint256 rate) private {
        _records[id].rate = rate;
        _records[id].startedAt = block.timestamp;
    }

    /// @dev The first open order from a seeded position, if any.
    function openOrder(uint256 seed)
        private
        view
        returns (bool found, uint256 id, OrderView memory order)
    {
        uint256 count = orderIds.length;
        for (uint256 i; i < count; ++i) {
            id = orderIds[(seed % count + i) % count];
            order = market.getOrder(id);
            if (order.status == OrderStatus.Open) return (true, id, order);
        }
    }

    /// @dev The first active lease from a seeded position, if any.
    function activeLease(uint256 seed)
        private
        view
        returns (bool found, uint256 id, LeaseView memory lease)
    {
        uint256 count = orderIds.length;
        for (uint256 i; i < count; ++i) {
            id = orderIds[(seed % count + i) % count];
            lease = market.getLease(id);
            if (lease.active) return (true, id, lease);
        }
    }
}
