// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Marketplace} from "../../../src/Marketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {BidSkipReason, BidView, OrderStatus} from "../../../src/types/DataTypes.sol";
import {Vm} from "../../utils/Vm.sol";
import {Base} from "../../Base.t.sol";

contract PlaceBids_Unit_Test is Base {
    uint256 internal first;
    uint256 internal second;

    function setUp() public override {
        super.setUp();
        first = createOrder();
        second = createOrder();
    }

    function test_RevertWhen_Paused() external {
        vm.prank(owner);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        placeAs(alice, pair(first, second), pair(500, 500));
    }

    function test_RevertWhen_LengthsDiffer() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BatchLengthMismatch.selector, 2, 1)
        );
        placeAs(alice, pair(first, second), ids(500));
    }

    function test_RevertWhen_NotRegistered() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_ProviderNotRegistered.selector, stranger)
        );
        placeAs(stranger, pair(first, second), pair(500, 500));
    }

    function test_RevertWhen_APriceIsZero() external {
        vm.expectRevert(Errors.Marketplace_ZeroAmount.selector);
        placeAs(alice, pair(first, second), pair(500, 0));
        assertEq(market.getBid(first, alice), 0, "the bid before it reverted too");
    }

    function test_WhenArraysEmpty() external {
        vm.recordLogs();
        assertEq(placeAs(alice, new uint256[](0), new uint256[](0)), 0, "nothing placed");
        assertEq(vm.getRecordedLogs().length, 0, "no event");
    }

    function test_WhenEveryBidValid() external {
        bid(bob, second, 450);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(first, alice, 500, alice, 500);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(second, alice, 400, alice, 400);
        assertEq(placeAs(alice, pair(first, second), pair(500, 400)), 2, "both placed");
        assertEq(market.getBid(first, alice), 500, "first");
        BidView[] memory bids = market.getBids(second);
        assertEq(bids.length, 2, "two bids on the second");
        assertEq(bids[0].provider, alice, "alice ranked first");
        assertEq(bids[1].provider, bob, "bob behind");
        assertEq(market.getOrder(second).bidCount, 2, "counted");
    }

    function test_GivenOrderNotOpen() external {
        uint256 leased = createLease(bob, 500);
        uint256 cancelled = createOrder();
        vm.prank(tenant);
        market.cancelOrder(cancelled);
        uint256[] memory orders = new uint256[](4);
        (orders[0], orders[1], orders[2], orders[3]) = (99, leased, cancelled, first);
        uint256[] memory prices = new uint256[](4);
        (prices[0], prices[1], prices[2], prices[3]) = (500, 400, 300, 200);

        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(99, alice, 500, BidSkipReason.OrderNotOpen);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(leased, alice, 400, BidSkipReason.OrderNotOpen);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(cancelled, alice, 300, BidSkipReason.OrderNotOpen);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(first, alice, 200, alice, 200);
        assertEq(placeAs(alice, orders, prices), 1, "only the open order's bid");
        assertEq(market.getBid(leased, alice), 0, "nothing on the leased order");
        assertEq(market.getBid(cancelled, alice), 0, "nothing on the cancelled order");
    }

    function test_GivenDeadlineCome() external {
        skip(BIDDING_DURATION);
        uint256 later = createOrder();
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(first, alice, 500, BidSkipReason.BiddingClosed);
        assertEq(placeAs(alice, pair(first, later), pair(500, 500)), 1, "the later order only");
        assertEq(market.getBid(later, alice), 500, "placed on the later order");
    }

    function test_WhenCallerIsTenantOfAnOrder() external {
        registerProvider(tenant);
        uint256 others = createOrderAs(alice);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(first, tenant, 500, BidSkipReason.SelfBid);
        assertEq(placeAs(tenant, pair(first, others), pair(500, 500)), 1, "alice's order only");
    }

    function test_WhenPriceAboveMax() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(first, alice, MAX_PRICE + 1, BidSkipReason.AboveMax);
        assertEq(placeAs(alice, pair(first, second), pair(MAX_PRICE + 1, MAX_PRICE)), 1, "one");
        assertEq(market.getBid(first, alice), 0, "none above the max");
    }

    function test_GivenOwnLiveBidEqualOrLower() external {
        placeAs(alice, pair(first, second), pair(500, 400));
        vm.recordLogs();
        assertEq(placeAs(alice, pair(first, second), pair(500, 450)), 0, "nothing placed again");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2, "two BidSkipped");
        for (uint256 i; i < logs.length; ++i) {
            assertEq(logs[i].topics[0], IMarketplace.BidSkipped.selector, "BidSkipped");
            (, BidSkipReason reason) = abi.decode(logs[i].data, (uint256, BidSkipReason));
            assertTrue(reason == BidSkipReason.NotLower, "NotLower");
        }
        assertEq(market.getBid(first, alice), 500, "first unchanged");
        assertEq(market.getBid(second, alice), 400, "second unchanged");
        assertEq(market.getOrder(first).bidCount, 1, "not counted twice");
    }

    function test_GivenOwnLiveBidHigher() external {
        placeAs(alice, pair(first, second), pair(500, 500));
        bid(bob, first, 450);
        assertEq(placeAs(alice, pair(first, second), pair(400, 500)), 1, "first lowered");
        assertEq(market.getBid(first, alice), 400, "lowered");
        assertEq(market.getOrder(first).bestBidder, alice, "best again");
        assertEq(market.getOrder(first).bidCount, 2, "still two bids");
    }

    function test_WhenOrderIdRepeats() external {
        uint256[] memory orders = new uint256[](3);
        (orders[0], orders[1], orders[2]) = (first, first, first);
        uint256[] memory prices = new uint256[](3);
        (prices[0], prices[1], prices[2]) = (500, 400, 400);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(first, alice, 400, BidSkipReason.NotLower);
        assertEq(placeAs(alice, orders, prices), 2, "placed, then lowered");
        assertEq(market.getBid(first, alice), 400, "the lower price");
        assertEq(market.getOrder(first).bidCount, 1, "one bid");
    }

    function test_GivenOrderFull_WhenPriceNotBelowWorst() external {
        (, uint256 worst) = fillOrder(first);
        vm.recordLogs();
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidSkipped(first, alice, worst, BidSkipReason.NotBelowWorst);
        assertEq(placeAs(alice, pair(first, second), pair(worst, 500)), 1, "the second only");
        assertEq(market.getBid(first, alice), 0, "not on the full order");
        assertEq(market.getOrder(first).bidCount, market.MAX_BIDS_PER_ORDER(), "still full");
    }

    function test_GivenOrderFull_WhenPriceBelowWorst() external {
        (address[] memory bidders, uint256 worst) = fillOrder(first);
        address evicted = bidders[bidders.length - 1];
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidEvicted(first, evicted, worst);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(first, alice, worst - 1, bidders[0], 100);
        assertEq(placeAs(alice, ids(first), ids(worst - 1)), 1, "placed");
        assertEq(market.getBid(first, evicted), 0, "the worst evicted");
    }

    /// @dev Orders in every state on two identical marketplaces; the bids go to one as a batch,
    /// and to the other one by one through placeBid, whose reverts are the batch's skips.
    function testFuzz_SameAsPlaceBidInTurn(uint8[8] calldata picks, uint16[8] calldata rawPrices)
        external
    {
        Marketplace twin = deployMarketplace(token);
        vm.prank(tenant);
        token.approve(address(twin), type(uint256).max);
        fund(alice, TENANT_FUNDS);
        vm.prank(alice);
        token.approve(address(twin), type(uint256).max);
        address[] memory bidders = registerBidders(market.MAX_BIDS_PER_ORDER());
        uint256[] memory orders = arrangeOrders(market, bidders);
        uint256[] memory twinOrders = arrangeOrders(twin, bidders);
        skip(1); // the bidding of the order created with a one-second window is over

        uint256[] memory orderIds = new uint256[](picks.length);
        uint256[] memory prices = new uint256[](picks.length);
        uint256 expected;
        for (uint256 i; i < picks.length; ++i) {
            uint256 pick = picks[i] % orders.length;
            orderIds[i] = orders[pick];
            prices[i] = bound(rawPrices[i], 1, MAX_PRICE + 10);
            vm.prank(alice);
            try twin.placeBid(twinOrders[pick], prices[i]) {
                ++expected;
            } catch {}
        }
        vm.recordLogs();
        uint256 placed = placeAs(alice, orderIds, prices);
        assertEq(placed, expected, "placed as placeBid succeeded");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 skipped;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IMarketplace.BidSkipped.selector) ++skipped;
        }
        assertEq(skipped, picks.length - expected, "a BidSkipped per reverted placeBid");
        for (uint256 i; i < orders.length; ++i) {
            assertEq(
                keccak256(abi.encode(market.getBids(orders[i]))),
                keccak256(abi.encode(twin.getBids(twinOrders[i]))),
                "the same live bids"
            );
            assertEq(
                keccak256(abi.encode(market.getOrder(orders[i]))),
                keccak256(abi.encode(twin.getOrder(twinOrders[i]))),
                "the same order"
            );
        }
    }

    /// @dev On `target`: an open order, one alice bid on, one full, one leased, one cancelled,
    /// one of alice's as the tenant, one whose bidding closes a second later, and an unknown id.
    function arrangeOrders(Marketplace target, address[] memory bidders)
        internal
        returns (uint256[] memory orders)
    {
        orders = new uint256[](8);
        vm.startPrank(tenant);
        uint256 closing = target.createOrder(h100Resources(), MAX_PRICE, 1, DEPOSIT, manifest);
        orders[0] = target.createOrder(h100Resources(), MAX_PRICE, 1 days, DEPOSIT, manifest);
        orders[1] = target.createOrder(h100Resources(), MAX_PRICE, 1 days, DEPOSIT, manifest);
        orders[2] = target.createOrder(h100Resources(), MAX_PRICE, 1 days, DEPOSIT, manifest);
        orders[3] = target.createOrder(h100Resources(), MAX_PRICE, 1 days, DEPOSIT, manifest);
        orders[4] = target.createOrder(h100Resources(), MAX_PRICE, 1 days, DEPOSIT, manifest);
        vm.stopPrank();
        vm.prank(alice);
        orders[5] = target.createOrder(h100Resources(), MAX_PRICE, 1 days, DEPOSIT, manifest);
        vm.prank(alice);
        target.placeBid(orders[1], 600);
        for (uint256 i; i < bidders.length; ++i) {
            vm.prank(bidders[i]);
            target.placeBid(orders[2], 100 + 10 * i);
        }
        vm.prank(bob);
        target.placeBid(orders[3], 500);
        vm.startPrank(tenant);
        target.acceptBid(orders[3], bob, 500);
        target.cancelOrder(orders[4]);
        vm.stopPrank();
        orders[6] = closing;
        orders[7] = 999;
    }

    function fillOrder(uint256 orderId) internal returns (address[] memory bidders, uint256 worst) {
        bidders = registerBidders(market.MAX_BIDS_PER_ORDER());
        placeBids(orderId, bidders, 100, 10);
        worst = 100 + 10 * (bidders.length - 1);
    }

    function createOrderAs(address account) internal returns (uint256 orderId) {
        fund(account, TENANT_FUNDS);
        vm.prank(account);
        orderId =
            market.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
    }

    function placeAs(address provider, uint256[] memory orderIds, uint256[] memory prices)
        internal
        returns (uint256)
    {
        vm.prank(provider);
        return market.placeBids(orderIds, prices);
    }

    function pair(uint256 a, uint256 b) internal pure returns (uint256[] memory list) {
        list = new uint256[](2);
        (list[0], list[1]) = (a, b);
    }
}
