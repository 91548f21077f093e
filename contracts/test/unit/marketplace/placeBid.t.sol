// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {BidView, OrderStatus, OrderView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract PlaceBid_Unit_Test is Base {
    uint256 internal orderId;

    function setUp() public override {
        super.setUp();
        orderId = createOrder();
    }

    function test_RevertWhen_Paused() external {
        vm.prank(owner);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        bid(alice, orderId, 500);
    }

    function test_RevertWhen_OrderDoesNotExist() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_OrderNotOpen.selector, 99, OrderStatus.None)
        );
        bid(alice, 99, 500);
    }

    function test_RevertGiven_OrderLeased() external {
        bid(alice, orderId, 500);
        vm.prank(tenant);
        market.acceptBid(orderId, alice, 500);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Leased
            )
        );
        bid(bob, orderId, 400);
    }

    function test_RevertGiven_OrderCancelled() external {
        vm.prank(tenant);
        market.cancelOrder(orderId);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Cancelled
            )
        );
        bid(alice, orderId, 500);
    }

    function test_RevertWhen_AtDeadline() external {
        uint256 deadline = block.timestamp + BIDDING_DURATION;
        vm.warp(deadline);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BiddingClosed.selector, orderId, deadline)
        );
        bid(alice, orderId, 500);
    }

    function test_WhenOneSecondBeforeDeadline() external {
        skip(BIDDING_DURATION - 1);
        bid(alice, orderId, 500);
        assertEq(market.getBid(orderId, alice), 500, "bid");
    }

    function test_RevertWhen_TenantBidsOnOwnOrder() external {
        registerProvider(tenant);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_SelfBid.selector, orderId, tenant)
        );
        bid(tenant, orderId, 500);
    }

    function test_RevertWhen_PriceZero() external {
        vm.expectRevert(Errors.Marketplace_ZeroAmount.selector);
        bid(alice, orderId, 0);
    }

    function test_RevertWhen_PriceAboveMax() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidAboveMax.selector, orderId, MAX_PRICE + 1, MAX_PRICE
            )
        );
        bid(alice, orderId, MAX_PRICE + 1);
    }

    function test_RevertWhen_NotRegistered() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_ProviderNotRegistered.selector, stranger)
        );
        bid(stranger, orderId, 500);
    }

    function test_RevertGiven_EqualToOwnLiveBid() external {
        bid(alice, orderId, 500);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BidNotLower.selector, orderId, 500, 500)
        );
        bid(alice, orderId, 500);
    }

    function test_RevertGiven_HigherThanOwnLiveBid() external {
        bid(alice, orderId, 500);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BidNotLower.selector, orderId, 600, 500)
        );
        bid(alice, orderId, 600);
    }

    function test_GivenNoBids() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(orderId, alice, MAX_PRICE, alice, MAX_PRICE);
        bid(alice, orderId, MAX_PRICE);
        assertBest(alice, MAX_PRICE);
    }

    function test_GivenLowerThanBest() external {
        bid(alice, orderId, 500);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(orderId, bob, 400, bob, 400);
        bid(bob, orderId, 400);
        assertBest(bob, 400);
        assertRanking(bob, alice, address(0));
    }

    function test_GivenEqualToBest() external {
        bid(alice, orderId, 500);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(orderId, bob, 500, alice, 500);
        bid(bob, orderId, 500);
        assertBest(alice, 500);
        assertRanking(alice, bob, address(0));
    }

    function test_GivenHigherThanBest() external {
        bid(alice, orderId, 500);
        bid(bob, orderId, 700);
        bid(carol, orderId, 600);
        assertBest(alice, 500);
        assertRanking(alice, carol, bob);
    }

    function test_GivenBestLowersItsBid() external {
        bid(alice, orderId, 500);
        bid(bob, orderId, 600);
        bid(alice, orderId, 450);
        assertBest(alice, 450);
        assertRanking(alice, bob, address(0));
    }

    function test_GivenOtherLowersBelowBest() external {
        bid(alice, orderId, 500);
        bid(bob, orderId, 600);
        bid(carol, orderId, 700);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(orderId, carol, 400, carol, 400);
        bid(carol, orderId, 400);
        assertBest(carol, 400);
        assertRanking(carol, alice, bob);
    }

    function test_GivenOtherLowersToEqualBest() external {
        bid(alice, orderId, 500);
        bid(bob, orderId, 600);
        bid(bob, orderId, 500);
        // alice was at 500 first: she stays ahead.
        assertBest(alice, 500);
        assertRanking(alice, bob, address(0));
    }

    function test_GivenLastLowersIntoMiddle() external {
        bid(alice, orderId, 500);
        bid(bob, orderId, 600);
        bid(carol, orderId, 700);
        bid(carol, orderId, 550);
        assertRanking(alice, carol, bob);
    }

    /*//////////////////////////////////////////////////////////////
                   A FULL ORDER: MAX_BIDS_PER_ORDER LIVE BIDS
    //////////////////////////////////////////////////////////////*/

    /// @dev Fills the order with bids at 100, 110, ..., the worst at 100 + 10 * (MAX - 1).
    function fillOrder() internal returns (address[] memory bidders, uint256 worst) {
        bidders = registerBidders(market.MAX_BIDS_PER_ORDER());
        placeBids(orderId, bidders, 100, 10);
        worst = 100 + 10 * (bidders.length - 1);
        assertEq(market.getOrder(orderId).bidCount, bidders.length, "full");
    }

    function test_GivenOneBelowFull() external {
        address[] memory bidders = registerBidders(market.MAX_BIDS_PER_ORDER() - 1);
        placeBids(orderId, bidders, 100, 10);
        vm.recordLogs();
        bid(alice, orderId, MAX_PRICE);
        assertEq(vm.getRecordedLogs().length, 1, "BidPlaced only: nothing evicted");
        assertEq(market.getOrder(orderId).bidCount, market.MAX_BIDS_PER_ORDER(), "now full");
        assertEq(market.getBid(orderId, alice), MAX_PRICE, "taken, the worst");
    }

    function test_RevertGiven_OrderFull_WhenPriceAboveWorst() external {
        (, uint256 worst) = fillOrder();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidNotBelowWorst.selector, orderId, worst + 1, worst
            )
        );
        bid(alice, orderId, worst + 1);
    }

    function test_RevertGiven_OrderFull_WhenPriceEqualToWorst() external {
        // At an equal price the earlier bid ranks first: the new one would be the worst.
        (, uint256 worst) = fillOrder();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidNotBelowWorst.selector, orderId, worst, worst
            )
        );
        bid(alice, orderId, worst);
    }

    function test_GivenOrderFull_WhenPriceBelowWorst() external {
        (address[] memory bidders, uint256 worst) = fillOrder();
        address evicted = bidders[bidders.length - 1];
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidEvicted(orderId, evicted, worst);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidPlaced(orderId, alice, worst - 1, bidders[0], 100);
        bid(alice, orderId, worst - 1);

        assertEq(market.getBid(orderId, evicted), 0, "the worst is no longer live");
        assertEq(market.getOrder(orderId).bidCount, bidders.length, "still full");
        BidView[] memory bids = market.getBids(orderId);
        assertEq(bids.length, bidders.length, "as many bids");
        assertEq(bids[bids.length - 1].provider, alice, "alice is the worst now");
        assertEq(bids[bids.length - 2].provider, bidders[bidders.length - 2], "before her");
    }

    function test_GivenOrderFull_WhenNewBestBid() external {
        (address[] memory bidders,) = fillOrder();
        bid(alice, orderId, 1);
        assertBest(alice, 1);
        BidView[] memory bids = market.getBids(orderId);
        assertEq(bids.length, bidders.length, "as many bids");
        assertEq(bids[1].provider, bidders[0], "the former best second");
        assertEq(bids[bids.length - 1].provider, bidders[bidders.length - 2], "former second worst");
        assertEq(market.getBid(orderId, bidders[bidders.length - 1]), 0, "the worst evicted");
    }

    function test_GivenOrderFull_WhenTheWorstPriceIsShared() external {
        // The last two share the worst price; the later of them is the one evicted.
        address[] memory bidders = registerBidders(market.MAX_BIDS_PER_ORDER());
        uint256 last = bidders.length - 1;
        for (uint256 i; i < last; ++i) {
            bid(bidders[i], orderId, 100 + i);
        }
        bid(bidders[last], orderId, 100 + last - 1);
        bid(alice, orderId, 100 + last - 2);
        assertEq(market.getBid(orderId, bidders[last]), 0, "the later of the two evicted");
        assertEq(market.getBid(orderId, bidders[last - 1]), 100 + last - 1, "the earlier stays");
    }

    function test_GivenOrderFull_WhenALiveBidLowers() external {
        (address[] memory bidders, uint256 worst) = fillOrder();
        address worstBidder = bidders[bidders.length - 1];
        vm.recordLogs();
        bid(worstBidder, orderId, 50);
        assertEq(vm.getRecordedLogs().length, 1, "BidPlaced only: nothing evicted");
        assertBest(worstBidder, 50);
        assertEq(market.getOrder(orderId).bidCount, bidders.length, "still full");
        // The new worst is the former second worst.
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidNotBelowWorst.selector, orderId, worst - 10, worst - 10
            )
        );
        bid(alice, orderId, worst - 10);
    }

    function test_GivenOrderFull_WhenABidWasCancelled() external {
        (address[] memory bidders,) = fillOrder();
        vm.prank(bidders[0]);
        market.cancelBid(orderId);
        bid(alice, orderId, MAX_PRICE);
        assertEq(market.getBid(orderId, alice), MAX_PRICE, "room again: any price");
        assertEq(market.getOrder(orderId).bidCount, bidders.length, "full again");
    }

    function test_GivenOrderFull_WhenTheEvictedBidsAgain() external {
        (address[] memory bidders, uint256 worst) = fillOrder();
        address evicted = bidders[bidders.length - 1];
        bid(alice, orderId, worst - 1);
        // A new bid now: below the new worst (alice's), and evicting her.
        bid(evicted, orderId, worst - 2);
        assertEq(market.getBid(orderId, alice), 0, "alice evicted in turn");
        assertEq(market.getBid(orderId, evicted), worst - 2, "back in");
    }

    function assertBest(address provider, uint256 price) internal view {
        OrderView memory order = market.getOrder(orderId);
        assertEq(order.bestBidder, provider, "best bidder");
        assertEq(order.bestPricePerSecond, price, "best price");
    }

    function assertRanking(address first, address second, address third) internal view {
        BidView[] memory bids = market.getBids(orderId);
        address[3] memory expected = [first, second, third];
        uint256 count = third != address(0) ? 3 : (second != address(0) ? 2 : 1);
        assertEq(bids.length, count, "bid count");
        for (uint256 i; i < count; ++i) {
            assertEq(bids[i].provider, expected[i], "ranking");
            if (i > 0) assertLe(bids[i - 1].pricePerSecond, bids[i].pricePerSecond, "sorted");
        }
    }
}
