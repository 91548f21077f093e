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
        market.acceptBid(orderId, alice);
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
