// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {LeaseView, OrderStatus, OrderView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract AcceptBid_Unit_Test is Base {
    uint256 internal orderId;

    function setUp() public override {
        super.setUp();
        orderId = createOrder();
        bid(alice, orderId, 500);
        bid(bob, orderId, 600);
    }

    function test_RevertWhen_Paused() external {
        vm.prank(owner);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(tenant);
        market.acceptBid(orderId, alice, 500);
    }

    function test_RevertGiven_OrderNotOpen() external {
        vm.prank(tenant);
        market.acceptBid(orderId, alice, 500);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Leased
            )
        );
        vm.prank(tenant);
        market.acceptBid(orderId, bob, 600);
    }

    function test_RevertWhen_CallerNotTenant() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_CallerNotTenant.selector, orderId, alice, tenant
            )
        );
        vm.prank(alice);
        market.acceptBid(orderId, alice, 500);
    }

    function test_RevertGiven_ProviderHasNoBid() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_NoBid.selector, orderId, carol));
        vm.prank(tenant);
        market.acceptBid(orderId, carol, MAX_PRICE);
    }

    function test_RevertWhen_BidAboveTheTenantsLimit() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidAboveLimit.selector, orderId, bob, 600, 599
            )
        );
        vm.prank(tenant);
        market.acceptBid(orderId, bob, 599);
    }

    function test_RevertGiven_BidRaisedAfterTheTenantReadIt() external {
        // The tenant read bob's 600 and sends acceptBid(600); bob gets in first: he cancels and
        // bids again at the order's maximum.
        uint256 seen = market.getBid(orderId, bob);
        vm.startPrank(bob);
        market.cancelBid(orderId);
        market.placeBid(orderId, MAX_PRICE);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidAboveLimit.selector, orderId, bob, MAX_PRICE, seen
            )
        );
        vm.prank(tenant);
        market.acceptBid(orderId, bob, seen);
        assertTrue(market.getOrder(orderId).status == OrderStatus.Open, "still open");
    }

    function test_WhenLimitAboveTheBid() external {
        vm.prank(tenant);
        market.acceptBid(orderId, bob, MAX_PRICE);
        assertEq(market.getLease(orderId).pricePerSecond, 600, "at the bid, not at the limit");
    }

    function test_WhenBestBidBeforeDeadline() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.LeaseCreated(
            orderId,
            tenant,
            alice,
            500,
            DEPOSIT,
            FEE_BPS,
            block.timestamp,
            block.timestamp + DEPOSIT / 500
        );
        vm.prank(tenant);
        market.acceptBid(orderId, alice, 500);

        OrderView memory order = market.getOrder(orderId);
        assertTrue(order.status == OrderStatus.Leased, "leased");
        assertEq(order.escrow, 0, "escrow moved to the lease");
        LeaseView memory lease = market.getLease(orderId);
        assertEq(lease.provider, alice, "provider");
        assertEq(lease.tenant, tenant, "tenant");
        assertEq(lease.pricePerSecond, 500, "rate");
        assertEq(lease.remaining, DEPOSIT, "escrow");
        assertEq(lease.accrued, 0, "nothing accrued yet");
        assertEq(lease.settledAt, block.timestamp, "started now");
        assertEq(lease.feeBps, FEE_BPS, "fee");
        assertTrue(lease.active, "active");
    }

    function test_WhenNotTheBestBid() external {
        vm.prank(tenant);
        market.acceptBid(orderId, bob, 600);
        LeaseView memory lease = market.getLease(orderId);
        assertEq(lease.provider, bob, "tenant's choice");
        assertEq(lease.pricePerSecond, 600, "at bob's price");
    }

    function test_WhenAfterDeadline() external {
        skip(BIDDING_DURATION + 1 days);
        vm.prank(tenant);
        market.acceptBid(orderId, bob, 600);
        assertEq(market.getLease(orderId).provider, bob, "still open: the tenant may choose");
    }
}
