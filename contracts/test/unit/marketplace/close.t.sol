// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {LeaseView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract Close_Unit_Test is Base {
    uint256 internal constant PRICE = 500;
    uint256 internal leaseId;
    uint256 internal startedAt;

    function setUp() public override {
        super.setUp();
        leaseId = createLease(alice, PRICE);
        startedAt = block.timestamp;
    }

    function test_RevertGiven_NotLeased() external {
        uint256 orderId = createOrder();
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_LeaseNotActive.selector, orderId));
        vm.prank(tenant);
        market.close(orderId);
    }

    function test_RevertGiven_AlreadyClosed() external {
        vm.prank(tenant);
        market.close(leaseId);
        uint256 closedAt = block.timestamp;
        skip(1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_LeaseClosed.selector, leaseId, closedAt)
        );
        vm.prank(alice);
        market.close(leaseId);
    }

    function test_RevertWhen_StrangerClosesFundedLease() external {
        vm.warp(startedAt + DEPOSIT / PRICE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_CallerNotParty.selector, leaseId, stranger)
        );
        vm.prank(stranger);
        market.close(leaseId);
    }

    function test_WhenTenantCloses() external {
        skip(1 hours);
        uint256 amount = PRICE * 1 hours;
        uint256 fee = feeOf(amount);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.LeaseClosed(
            leaseId, tenant, alice, tenant, amount - fee, fee, DEPOSIT - amount
        );
        vm.prank(tenant);
        market.close(leaseId);

        assertEq(token.balanceOf(alice), amount - fee, "provider paid for the hour");
        assertEq(token.balanceOf(tenant), TENANT_FUNDS - amount, "tenant refunded the rest");
        assertEq(market.unclaimedFees(), fee, "fee");
        assertEq(token.balanceOf(address(market)), fee, "only the fee stays");
        LeaseView memory lease = market.getLease(leaseId);
        assertFalse(lease.active, "closed");
        assertEq(lease.closedAt, block.timestamp, "closed now");
        assertEq(lease.fundedUntil, block.timestamp, "funded until the close");
    }

    function test_WhenProviderCloses() external {
        skip(30 minutes);
        vm.prank(alice);
        market.close(leaseId);
        assertEq(token.balanceOf(alice), PRICE * 30 minutes - feeOf(PRICE * 30 minutes), "alice");
    }

    function test_GivenWithdrawnBefore() external {
        skip(1 hours);
        vm.prank(alice);
        market.withdraw(ids(leaseId));
        skip(1 hours);
        vm.prank(tenant);
        market.close(leaseId);
        uint256 amount = PRICE * 2 hours;
        assertEq(token.balanceOf(alice), 2 * (PRICE * 1 hours - feeOf(PRICE * 1 hours)), "alice");
        assertEq(token.balanceOf(tenant), TENANT_FUNDS - amount, "tenant");
    }

    function test_WhenStrangerClosesExhaustedLease() external {
        vm.warp(startedAt + DEPOSIT / PRICE);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.LeaseClosed(
            leaseId, tenant, alice, stranger, DEPOSIT - feeOf(DEPOSIT), feeOf(DEPOSIT), 0
        );
        vm.prank(stranger);
        market.close(leaseId);
        assertEq(token.balanceOf(tenant), TENANT_FUNDS - DEPOSIT, "nothing to refund");
    }

    function test_GivenClosedThenTimePasses() external {
        skip(1 hours);
        vm.prank(tenant);
        market.close(leaseId);
        skip(10 days);
        LeaseView memory lease = market.getLease(leaseId);
        assertEq(lease.accrued, 0, "a closed lease never accrues");
        assertEq(lease.remaining, 0, "nothing left");
        assertEq(market.accruedOf(leaseId), 0, "accruedOf");
    }

    function test_WhenPaused() external {
        vm.prank(owner);
        market.pause();
        vm.prank(tenant);
        market.close(leaseId);
        assertFalse(market.getLease(leaseId).active, "closes are never paused");
    }
}
