// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {LeaseView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract Deposit_Unit_Test is Base {
    uint256 internal constant PRICE = 500;
    uint256 internal leaseId;
    uint256 internal startedAt;

    function setUp() public override {
        super.setUp();
        leaseId = createLease(alice, PRICE);
        startedAt = block.timestamp;
        fund(stranger, 1e12);
    }

    function test_RevertGiven_OrderNotLeased() external {
        uint256 orderId = createOrder();
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_LeaseNotActive.selector, orderId));
        vm.prank(tenant);
        market.deposit(orderId, 1);
    }

    function test_RevertGiven_LeaseClosed() external {
        vm.prank(tenant);
        market.close(leaseId);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_LeaseClosed.selector, leaseId, block.timestamp
            )
        );
        vm.prank(tenant);
        market.deposit(leaseId, 1);
    }

    function test_RevertWhen_AmountZero() external {
        vm.expectRevert(Errors.Marketplace_ZeroAmount.selector);
        vm.prank(tenant);
        market.deposit(leaseId, 0);
    }

    function test_RevertGiven_EscrowExhaustedExactly() external {
        uint256 fundedUntil = startedAt + DEPOSIT / PRICE;
        vm.warp(fundedUntil);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_EscrowExhausted.selector, leaseId, fundedUntil
            )
        );
        vm.prank(tenant);
        market.deposit(leaseId, 1);
    }

    function test_RevertWhen_EscrowWouldOverflow() external {
        uint256 amount = uint256(type(uint128).max) - DEPOSIT + 1;
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_EscrowOverflow.selector, DEPOSIT + amount)
        );
        vm.prank(tenant);
        market.deposit(leaseId, amount);
    }

    function test_GivenOneSecondOfEscrowLeft() external {
        vm.warp(startedAt + DEPOSIT / PRICE - 1);
        vm.prank(tenant);
        market.deposit(leaseId, PRICE);
        assertEq(market.getLease(leaseId).fundedUntil, startedAt + DEPOSIT / PRICE + 1, "extended");
    }

    function test_WhenAnyoneDeposits() external {
        skip(1 hours);
        uint256 fundedUntil = startedAt + (DEPOSIT + 1e6) / PRICE;
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.Deposited(leaseId, stranger, 1e6, DEPOSIT + 1e6, fundedUntil);
        vm.prank(stranger);
        market.deposit(leaseId, 1e6);

        LeaseView memory lease = market.getLease(leaseId);
        assertEq(lease.accrued, PRICE * 1 hours, "accrual unchanged by a deposit");
        assertEq(lease.remaining, DEPOSIT + 1e6 - PRICE * 1 hours, "remaining");
        assertEq(lease.fundedUntil, fundedUntil, "funded until");
        assertEq(token.balanceOf(address(market)), DEPOSIT + 1e6, "held");
    }

    function test_WhenPaused() external {
        vm.prank(owner);
        market.pause();
        vm.prank(tenant);
        market.deposit(leaseId, 1e6);
        assertEq(market.getLease(leaseId).remaining, DEPOSIT + 1e6, "deposits are never paused");
    }
}
