// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {LeaseView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract Withdraw_Unit_Test is Base {
    uint256 internal constant PRICE = 500;
    uint256 internal leaseId;
    uint256 internal startedAt;

    function setUp() public override {
        super.setUp();
        leaseId = createLease(alice, PRICE);
        startedAt = block.timestamp;
    }

    function test_RevertWhen_CallerNotProvider() external {
        skip(1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_CallerNotProvider.selector, leaseId, bob, alice
            )
        );
        vm.prank(bob);
        market.withdraw(ids(leaseId));
    }

    function test_RevertWhen_OneLeaseOfTheBatchIsAnotherProviders() external {
        uint256 bobs = createLease(bob, PRICE);
        uint256[] memory both = new uint256[](2);
        (both[0], both[1]) = (leaseId, bobs);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_CallerNotProvider.selector, bobs, alice, bob)
        );
        vm.prank(alice);
        market.withdraw(both);
    }

    function test_RevertWhen_LeaseUnknown() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_CallerNotProvider.selector, 99, alice, address(0)
            )
        );
        vm.prank(alice);
        market.withdraw(ids(99));
    }

    function test_WhenNoTimePassed() external {
        vm.prank(alice);
        assertEq(market.withdraw(ids(leaseId)), 0, "nothing streamed yet");
    }

    function test_WhenListEmpty() external {
        vm.prank(alice);
        assertEq(market.withdraw(new uint256[](0)), 0, "nothing");
    }

    function test_GivenTimePassed() external {
        skip(1 hours);
        uint256 amount = PRICE * 1 hours;
        uint256 fee = feeOf(amount);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.Withdrawn(leaseId, alice, amount, fee, DEPOSIT - amount);
        vm.prank(alice);
        uint256 paid = market.withdraw(ids(leaseId));

        assertEq(paid, amount - fee, "paid net of the fee");
        assertEq(token.balanceOf(alice), amount - fee, "alice");
        assertEq(market.unclaimedFees(), fee, "fee kept for the treasury");
        LeaseView memory lease = market.getLease(leaseId);
        assertEq(lease.accrued, 0, "settled");
        assertEq(lease.remaining, DEPOSIT - amount, "remaining");
        assertEq(lease.settledAt, block.timestamp, "settled now");
        assertEq(lease.fundedUntil, startedAt + DEPOSIT / PRICE, "run-out time unchanged");
    }

    function test_GivenWithdrawnTwiceInOneBlock() external {
        skip(1 hours);
        vm.startPrank(alice);
        market.withdraw(ids(leaseId));
        assertEq(market.withdraw(ids(leaseId)), 0, "nothing new");
        vm.stopPrank();
    }

    function test_GivenEscrowExhausted() external {
        skip(DEPOSIT / PRICE + 1 days);
        vm.prank(alice);
        uint256 paid = market.withdraw(ids(leaseId));
        assertEq(paid, DEPOSIT - feeOf(DEPOSIT), "never more than the escrow");
        assertEq(market.getLease(leaseId).remaining, 0, "empty");
        skip(1 days);
        vm.prank(alice);
        assertEq(market.withdraw(ids(leaseId)), 0, "nothing more");
    }

    function test_GivenLeaseClosed() external {
        skip(1 hours);
        vm.prank(tenant);
        market.close(leaseId);
        skip(1 hours);
        vm.recordLogs();
        vm.prank(alice);
        assertEq(market.withdraw(ids(leaseId)), 0, "a closed lease is skipped");
        assertEq(vm.getRecordedLogs().length, 0, "and emits nothing");
    }

    function test_GivenBatch() external {
        uint256 second = createLease(alice, 300);
        uint256 third = createLease(alice, 200);
        skip(2 hours);
        uint256[] memory leases = new uint256[](3);
        (leases[0], leases[1], leases[2]) = (leaseId, second, third);
        vm.prank(alice);
        uint256 paid = market.withdraw(leases);
        uint256 gross = (PRICE + 300 + 200) * 2 hours;
        uint256 fees = feeOf(PRICE * 2 hours) + feeOf(300 * 2 hours) + feeOf(200 * 2 hours);
        assertEq(paid, gross - fees, "one payment for the batch");
        assertEq(token.balanceOf(alice), gross - fees, "alice");
        assertEq(market.unclaimedFees(), fees, "fees");
    }

    function test_GivenFeeChangedAfterLeaseStart() external {
        vm.prank(owner);
        market.setFee(1000);
        skip(1 hours);
        vm.prank(alice);
        uint256 paid = market.withdraw(ids(leaseId));
        assertEq(paid, PRICE * 1 hours - feeOf(PRICE * 1 hours), "the lease keeps its fee");
    }

    function test_GivenProviderBlacklisted() external {
        uint256 second = createLease(alice, 300);
        skip(1 hours);
        uint256[] memory both = new uint256[](2);
        (both[0], both[1]) = (leaseId, second);
        uint256 net =
            PRICE * 1 hours - feeOf(PRICE * 1 hours) + 300 * 1 hours - feeOf(300 * 1 hours);
        blacklist(alice);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.Withdrawn(
            leaseId, alice, PRICE * 1 hours, feeOf(PRICE * 1 hours), DEPOSIT - PRICE * 1 hours
        );
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.Withdrawn(
            second, alice, 300 * 1 hours, feeOf(300 * 1 hours), DEPOSIT - 300 * 1 hours
        );
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.PaymentDeferred(alice, net, net);
        vm.prank(alice);
        uint256 paid = market.withdraw(both);

        assertEq(paid, net, "what the leases paid, credited");
        assertEq(token.balanceOf(alice), 0, "nothing moved");
        assertEq(market.claimable(alice), net, "claimable");
        assertEq(market.getLease(leaseId).accrued, 0, "the leases are settled");

        // Credits add up.
        skip(1 hours);
        vm.prank(alice);
        market.withdraw(ids(leaseId));
        assertEq(
            market.claimable(alice), net + PRICE * 1 hours - feeOf(PRICE * 1 hours), "added up"
        );
    }

    function test_WhenPaused() external {
        vm.prank(owner);
        market.pause();
        skip(1 hours);
        vm.prank(alice);
        assertGt(market.withdraw(ids(leaseId)), 0, "withdrawals are never paused");
    }
}
