// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Marketplace} from "../../src/Marketplace.sol";
import {Errors} from "../../src/libraries/Errors.sol";
import {OrderStatus} from "../../src/types/DataTypes.sol";
import {Base} from "../Base.t.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {ReentrantToken} from "../mocks/ReentrantToken.sol";

/// @notice Attacks on the marketplace, each as the attacker would try it.
contract Adversarial_Test is Base {
    uint256 internal constant PRICE = 500;

    /*//////////////////////////////////////////////////////////////
                         A TOKEN THAT RE-ENTERS
    //////////////////////////////////////////////////////////////*/

    function test_ReentrantTokenCannotCloseTwice() external {
        ReentrantToken evil = new ReentrantToken();
        Marketplace evilMarket = deployMarketplace(IERC20(address(evil)));
        evil.mint(tenant, DEPOSIT);
        vm.startPrank(tenant);
        evil.approve(address(evilMarket), DEPOSIT);
        uint256 leaseId =
            evilMarket.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
        vm.stopPrank();
        vm.prank(alice);
        evilMarket.placeBid(leaseId, PRICE);
        vm.prank(tenant);
        evilMarket.acceptBid(leaseId, alice);
        skip(1 hours);

        // During the payout transfer, the token calls close again (and, were it to get through,
        // withdraw) to be paid twice.
        evil.arm(address(evilMarket), abi.encodeCall(Marketplace.close, (leaseId)));
        vm.prank(tenant);
        evilMarket.close(leaseId);

        assertTrue(evil.reentered(), "the token re-entered");
        assertFalse(evil.reentrySucceeded(), "and was stopped");
        assertEq(
            bytes4(evil.reentryRevertData()),
            ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector,
            "by the reentrancy guard"
        );
        uint256 amount = PRICE * 1 hours;
        assertEq(evil.balanceOf(alice), amount - feeOf(amount), "provider paid once");
        assertEq(evil.balanceOf(tenant), DEPOSIT - amount, "tenant refunded once");
        assertEq(evil.balanceOf(address(evilMarket)), feeOf(amount), "only the fee stays");
    }

    function test_ReentrantTokenCannotWithdrawDuringADeposit() external {
        ReentrantToken evil = new ReentrantToken();
        Marketplace evilMarket = deployMarketplace(IERC20(address(evil)));
        evil.mint(tenant, 2 * DEPOSIT);
        vm.startPrank(tenant);
        evil.approve(address(evilMarket), 2 * DEPOSIT);
        uint256 leaseId =
            evilMarket.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
        vm.stopPrank();
        vm.prank(alice);
        evilMarket.placeBid(leaseId, PRICE);
        vm.prank(tenant);
        evilMarket.acceptBid(leaseId, alice);
        skip(1 hours);

        evil.arm(address(evilMarket), abi.encodeCall(Marketplace.withdraw, (ids(leaseId))));
        vm.prank(tenant);
        evilMarket.deposit(leaseId, DEPOSIT);
        assertFalse(evil.reentrySucceeded(), "stopped");
        assertEq(
            bytes4(evil.reentryRevertData()),
            ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector,
            "by the reentrancy guard"
        );
        assertEq(evil.balanceOf(address(evilMarket)), 2 * DEPOSIT, "all escrow held");
    }

    /*//////////////////////////////////////////////////////////////
                     A FEE-ON-TRANSFER TOKEN: REJECTED
    //////////////////////////////////////////////////////////////*/

    function test_FeeOnTransferTokenRejectedOnCreateOrder() external {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        Marketplace fotMarket = deployMarketplace(IERC20(address(fot)));
        fot.mint(tenant, DEPOSIT);
        vm.startPrank(tenant);
        fot.approve(address(fotMarket), DEPOSIT);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_TransferAmountMismatch.selector, DEPOSIT, DEPOSIT - DEPOSIT / 100
            )
        );
        fotMarket.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
        vm.stopPrank();
    }

    function test_FeeOnTransferTokenRejectedOnDeposit() external {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        Marketplace fotMarket = deployMarketplace(IERC20(address(fot)));
        fot.mint(tenant, 2 * DEPOSIT);
        fot.setCharging(false);
        vm.startPrank(tenant);
        fot.approve(address(fotMarket), 2 * DEPOSIT);
        uint256 leaseId =
            fotMarket.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
        vm.stopPrank();
        vm.prank(alice);
        fotMarket.placeBid(leaseId, PRICE);
        vm.prank(tenant);
        fotMarket.acceptBid(leaseId, alice);

        fot.setCharging(true);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_TransferAmountMismatch.selector, DEPOSIT, DEPOSIT - DEPOSIT / 100
            )
        );
        vm.prank(tenant);
        fotMarket.deposit(leaseId, DEPOSIT);
    }

    /*//////////////////////////////////////////////////////////////
                          ABUSE BY PARTICIPANTS
    //////////////////////////////////////////////////////////////*/

    function test_ProviderCannotBidOnItsOwnOrder() external {
        // alice is a registered provider acting as a tenant, to win her own order at her price.
        fund(alice, DEPOSIT);
        vm.prank(alice);
        uint256 orderId =
            market.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_SelfBid.selector, orderId, alice));
        bid(alice, orderId, MAX_PRICE);
    }

    function test_ProviderCannotWithdrawAnotherProvidersLease() external {
        uint256 leaseId = createLease(alice, PRICE);
        skip(1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_CallerNotProvider.selector, leaseId, bob, alice
            )
        );
        vm.prank(bob);
        market.withdraw(ids(leaseId));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_CallerNotParty.selector, leaseId, bob)
        );
        vm.prank(bob);
        market.close(leaseId);
        assertEq(token.balanceOf(bob), 0, "bob got nothing");
    }

    function test_DoubleCloseFails() external {
        uint256 leaseId = createLease(alice, PRICE);
        skip(1 hours);
        vm.prank(tenant);
        market.close(leaseId);
        uint256 tenantBalance = token.balanceOf(tenant);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_LeaseClosed.selector, leaseId, block.timestamp
            )
        );
        vm.prank(alice);
        market.close(leaseId);
        assertEq(token.balanceOf(tenant), tenantBalance, "no second refund");
    }

    function test_BidFrontRunningACancelDoesNotBlockIt() external {
        uint256 orderId = createOrder();
        // The tenant's cancel is in the mempool; a provider gets a bid in first.
        bid(alice, orderId, PRICE);
        vm.prank(tenant);
        market.cancelOrder(orderId);
        assertTrue(market.getOrder(orderId).status == OrderStatus.Cancelled, "cancelled anyway");
        assertEq(token.balanceOf(tenant), TENANT_FUNDS, "full refund");
        // And the bid cannot be turned into a lease afterwards.
        skip(BIDDING_DURATION);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Cancelled
            )
        );
        market.finalize(orderId);
    }

    function test_LateBidCannotFrontRunACleanupCancel() external {
        uint256 orderId = createOrder();
        skip(BIDDING_DURATION);
        // Anyone may cancel an order left without bids; a bid after the deadline cannot stop it.
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BiddingClosed.selector, orderId, block.timestamp
            )
        );
        bid(alice, orderId, PRICE);
        vm.prank(stranger);
        market.cancelOrder(orderId);
        assertEq(token.balanceOf(tenant), TENANT_FUNDS, "refunded to the tenant");
    }

    function test_StrangerCannotCloseAFundedLeaseToGrief() external {
        uint256 leaseId = createLease(alice, PRICE);
        skip(1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_CallerNotParty.selector, leaseId, stranger)
        );
        vm.prank(stranger);
        market.close(leaseId);
    }
}
