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

    /*//////////////////////////////////////////////////////////////
               A TOKEN THAT REFUSES A PARTY (BLACKLISTED)
    //////////////////////////////////////////////////////////////*/

    function test_GivenTenantBlacklisted() external {
        skip(1 hours);
        uint256 amount = PRICE * 1 hours;
        uint256 fee = feeOf(amount);
        uint256 refund = DEPOSIT - amount;
        blacklist(tenant);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.LeaseClosed(leaseId, tenant, alice, alice, amount - fee, fee, refund);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.PaymentDeferred(tenant, refund, refund);
        vm.prank(alice);
        market.close(leaseId);

        assertEq(token.balanceOf(alice), amount - fee, "the provider is paid all the same");
        assertEq(token.balanceOf(tenant), TENANT_FUNDS - DEPOSIT, "the refund did not move");
        assertEq(market.claimable(tenant), refund, "it is the tenant's to claim");
        assertEq(market.totalClaimable(), refund, "total");
        assertEq(token.balanceOf(address(market)), fee + refund, "fee + credit");
        assertFalse(market.getLease(leaseId).active, "closed");
    }

    function test_GivenProviderBlacklisted() external {
        skip(1 hours);
        uint256 amount = PRICE * 1 hours;
        uint256 payout = amount - feeOf(amount);
        blacklist(alice);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.LeaseClosed(
            leaseId, tenant, alice, tenant, payout, feeOf(amount), DEPOSIT - amount
        );
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.PaymentDeferred(alice, payout, payout);
        vm.prank(tenant);
        market.close(leaseId);

        // Before the fix the payout's revert undid the close: the escrow kept streaming to a
        // provider that could not be paid, and the tenant could not stop it.
        assertFalse(market.getLease(leaseId).active, "closed: the stream stopped");
        assertEq(token.balanceOf(tenant), TENANT_FUNDS - amount, "the tenant is refunded");
        assertEq(token.balanceOf(alice), 0, "the payout did not move");
        assertEq(market.claimable(alice), payout, "it is the provider's to claim");
    }

    function test_GivenBothBlacklisted() external {
        skip(1 hours);
        uint256 amount = PRICE * 1 hours;
        uint256 payout = amount - feeOf(amount);
        uint256 refund = DEPOSIT - amount;
        blacklist(alice);
        blacklist(tenant);
        vm.prank(tenant);
        market.close(leaseId);
        assertEq(market.claimable(alice), payout, "provider credited");
        assertEq(market.claimable(tenant), refund, "tenant credited");
        assertEq(market.totalClaimable(), payout + refund, "total");
        assertEq(
            token.balanceOf(address(market)),
            market.unclaimedFees() + market.totalClaimable(),
            "balance = fees + credits"
        );
    }

    function test_GivenTokenReturnsFalseForAParty() external {
        skip(1 hours);
        token.setReturnsFalse(true);
        blacklist(tenant);
        vm.prank(alice);
        market.close(leaseId);
        assertEq(market.claimable(tenant), DEPOSIT - PRICE * 1 hours, "a false return is a refusal");
        assertEq(market.claimable(alice), 0, "the provider was paid");
    }

    function test_GivenStrangerClosesExhaustedLeaseOfBlacklistedProvider() external {
        vm.warp(startedAt + DEPOSIT / PRICE);
        blacklist(alice);
        vm.prank(stranger);
        market.close(leaseId);
        assertEq(market.claimable(alice), DEPOSIT - feeOf(DEPOSIT), "credited");
    }

    function test_WhenPaused() external {
        vm.prank(owner);
        market.pause();
        vm.prank(tenant);
        market.close(leaseId);
        assertFalse(market.getLease(leaseId).active, "closes are never paused");
    }
}
