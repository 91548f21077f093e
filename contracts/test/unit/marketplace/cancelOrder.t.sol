// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {OrderStatus, OrderView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract CancelOrder_Unit_Test is Base {
    uint256 internal orderId;
    uint256 internal deadline;

    function setUp() public override {
        super.setUp();
        orderId = createOrder();
        deadline = block.timestamp + BIDDING_DURATION;
    }

    function test_RevertGiven_Leased() external {
        bid(alice, orderId, 500);
        vm.prank(tenant);
        market.acceptBid(orderId, alice, 500);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Leased
            )
        );
        vm.prank(tenant);
        market.cancelOrder(orderId);
    }

    function test_RevertGiven_AlreadyCancelled() external {
        vm.prank(tenant);
        market.cancelOrder(orderId);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Cancelled
            )
        );
        vm.prank(tenant);
        market.cancelOrder(orderId);
    }

    function test_RevertWhen_StrangerBeforeDeadline() external {
        vm.warp(deadline - 1);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_CancelNotAllowed.selector, orderId, stranger)
        );
        vm.prank(stranger);
        market.cancelOrder(orderId);
    }

    function test_RevertWhen_StrangerAfterDeadlineWithBids() external {
        bid(alice, orderId, 500);
        vm.warp(deadline);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_CancelNotAllowed.selector, orderId, stranger)
        );
        vm.prank(stranger);
        market.cancelOrder(orderId);
    }

    function test_WhenTenantWithBidsBeforeDeadline() external {
        bid(alice, orderId, 500);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.OrderCancelled(orderId, tenant, tenant, DEPOSIT);
        vm.prank(tenant);
        market.cancelOrder(orderId);
        assertRefunded();
    }

    function test_WhenStrangerAfterDeadlineWithoutBids() external {
        vm.warp(deadline);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.OrderCancelled(orderId, tenant, stranger, DEPOSIT);
        vm.prank(stranger);
        market.cancelOrder(orderId);
        assertRefunded();
    }

    function test_WhenStrangerAfterAllBidsCancelled() external {
        bid(alice, orderId, 500);
        vm.prank(alice);
        market.cancelBid(orderId);
        vm.warp(deadline);
        vm.prank(stranger);
        market.cancelOrder(orderId);
        assertRefunded();
    }

    function test_GivenTenantBlacklisted() external {
        vm.warp(deadline);
        blacklist(tenant);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.OrderCancelled(orderId, tenant, stranger, DEPOSIT);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.PaymentDeferred(tenant, DEPOSIT, DEPOSIT);
        vm.prank(stranger);
        market.cancelOrder(orderId);
        assertTrue(market.getOrder(orderId).status == OrderStatus.Cancelled, "cancelled");
        assertEq(market.claimable(tenant), DEPOSIT, "the refund is the tenant's to claim");
        assertEq(token.balanceOf(address(market)), DEPOSIT, "held for it");
    }

    function test_WhenPaused() external {
        vm.prank(owner);
        market.pause();
        vm.prank(tenant);
        market.cancelOrder(orderId);
        assertRefunded();
    }

    function assertRefunded() internal view {
        OrderView memory order = market.getOrder(orderId);
        assertTrue(order.status == OrderStatus.Cancelled, "cancelled");
        assertEq(order.escrow, 0, "no escrow");
        assertEq(token.balanceOf(tenant), TENANT_FUNDS, "tenant refunded in full");
        assertEq(token.balanceOf(address(market)), 0, "nothing left behind");
    }
}
