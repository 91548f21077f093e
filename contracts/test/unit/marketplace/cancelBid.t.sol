// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {BidView, OrderStatus, OrderView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract CancelBid_Unit_Test is Base {
    uint256 internal orderId;

    function setUp() public override {
        super.setUp();
        orderId = createOrder();
        bid(alice, orderId, 500);
        bid(bob, orderId, 600);
        bid(carol, orderId, 700);
    }

    function test_RevertGiven_OrderNotOpen() external {
        vm.prank(tenant);
        market.acceptBid(orderId, bob, 600);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Leased
            )
        );
        vm.prank(alice);
        market.cancelBid(orderId);
    }

    function test_RevertWhen_AtDeadline() external {
        uint256 deadline = block.timestamp + BIDDING_DURATION;
        vm.warp(deadline);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BiddingClosed.selector, orderId, deadline)
        );
        vm.prank(alice);
        market.cancelBid(orderId);
    }

    function test_RevertWhen_AfterDeadline() external {
        uint256 deadline = block.timestamp + BIDDING_DURATION;
        skip(BIDDING_DURATION + 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BiddingClosed.selector, orderId, deadline)
        );
        vm.prank(alice);
        market.cancelBid(orderId);
        // The shielding bid stands: finalize leases the order at it.
        market.finalize(orderId);
        assertEq(market.getLease(orderId).provider, alice, "alice is held to her bid");
        assertEq(market.getLease(orderId).pricePerSecond, 500, "at her price");
    }

    function test_WhenOneSecondBeforeDeadline() external {
        skip(BIDDING_DURATION - 1);
        vm.prank(alice);
        market.cancelBid(orderId);
        assertEq(market.getBid(orderId, alice), 0, "cancelled");
    }

    function test_RevertGiven_NoLiveBid() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_NoBid.selector, orderId, stranger)
        );
        vm.prank(stranger);
        market.cancelBid(orderId);
    }

    function test_RevertGiven_AlreadyCancelled() external {
        vm.prank(bob);
        market.cancelBid(orderId);
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_NoBid.selector, orderId, bob));
        vm.prank(bob);
        market.cancelBid(orderId);
    }

    function test_GivenBestBid() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidCancelled(orderId, alice, bob, 600);
        vm.prank(alice);
        market.cancelBid(orderId);
        assertEq(market.getOrder(orderId).bestBidder, bob, "next best");
        assertEq(market.getBid(orderId, alice), 0, "bid gone");
        assertEq(market.getBids(orderId).length, 2, "two left");
        assertEq(market.getOrder(orderId).bidCount, 2, "count");
    }

    function test_GivenMiddleBid() external {
        vm.prank(bob);
        market.cancelBid(orderId);
        BidView[] memory bids = market.getBids(orderId);
        assertEq(bids.length, 2, "two left");
        assertEq(bids[0].provider, alice, "first");
        assertEq(bids[1].provider, carol, "second");
    }

    function test_GivenLastBid() external {
        vm.prank(carol);
        market.cancelBid(orderId);
        BidView[] memory bids = market.getBids(orderId);
        assertEq(bids.length, 2, "two left");
        assertEq(bids[1].provider, bob, "new last");
    }

    function test_GivenOnlyBid() external {
        vm.prank(alice);
        market.cancelBid(orderId);
        vm.prank(bob);
        market.cancelBid(orderId);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.BidCancelled(orderId, carol, address(0), 0);
        vm.prank(carol);
        market.cancelBid(orderId);
        OrderView memory order = market.getOrder(orderId);
        assertEq(order.bestBidder, address(0), "no best");
        assertEq(order.bestPricePerSecond, 0, "no best price");
        assertEq(order.bidCount, 0, "no count");
        assertEq(market.getBids(orderId).length, 0, "none left");
    }

    function test_WhenBiddingAgainAfterCancel() external {
        vm.prank(alice);
        market.cancelBid(orderId);
        // A new bid, not a lowering: any price up to the maximum, ranked as of now.
        bid(alice, orderId, 600);
        BidView[] memory bids = market.getBids(orderId);
        assertEq(bids[0].provider, bob, "bob was at 600 first");
        assertEq(bids[1].provider, alice, "alice after him");
    }
}
