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
        evilMarket.acceptBid(leaseId, alice, PRICE);
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
        evilMarket.acceptBid(leaseId, alice, PRICE);
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
        fotMarket.acceptBid(leaseId, alice, PRICE);

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

    /*//////////////////////////////////////////////////////////////
              A TOKEN THAT REFUSES ONE PARTY (BLACKLISTING)
    //////////////////////////////////////////////////////////////*/

    function test_BlacklistedProviderCannotLockTheEscrow() external {
        // Were the payout to revert, the close would too: the escrow would keep streaming to the
        // provider and the tenant could neither stop it nor get the rest back.
        uint256 leaseId = createLease(alice, PRICE);
        skip(1 hours);
        blacklist(alice);
        vm.prank(tenant);
        market.close(leaseId);
        assertEq(token.balanceOf(tenant), TENANT_FUNDS - PRICE * 1 hours, "tenant refunded");
        assertGt(market.claimable(alice), 0, "provider's payout held for it");
    }

    function test_BlacklistedTenantCannotBlockThePayout() external {
        uint256 leaseId = createLease(alice, PRICE);
        skip(1 hours);
        blacklist(tenant);
        vm.prank(alice);
        market.close(leaseId);
        uint256 amount = PRICE * 1 hours;
        assertEq(token.balanceOf(alice), amount - feeOf(amount), "provider paid");
        assertEq(market.claimable(tenant), DEPOSIT - amount, "refund held for the tenant");
    }

    /*//////////////////////////////////////////////////////////////
                      SYBILS, FRONT-RUNNING, SHIELDING
    //////////////////////////////////////////////////////////////*/

    function test_SybilBidsCannotMakeBiddingUnbounded() external {
        // Registration is free: a sybil fills an order with bids at the maximum price. Bidding
        // stays open to anyone below the worst, and its cost stays bounded.
        uint256 orderId = createOrder();
        address[] memory sybils = registerBidders(market.MAX_BIDS_PER_ORDER());
        placeBids(orderId, sybils, MAX_PRICE, 0);
        vm.prank(alice);
        uint256 gasBefore = gasleft();
        market.placeBid(orderId, MAX_PRICE - 1);
        uint256 used = gasBefore - gasleft();
        assertEq(market.getOrder(orderId).bestBidder, alice, "an honest bid gets in");
        assertLt(used, 200_000, "and costs a bounded amount of gas");
        assertEq(market.getOrder(orderId).bidCount, sybils.length, "the order stays at the cap");
        // The sybils can only stay by bidding lower, which the tenant may then accept.
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidNotBelowWorst.selector, orderId, MAX_PRICE, MAX_PRICE
            )
        );
        bid(sybils[sybils.length - 1], orderId, MAX_PRICE);
    }

    function test_RaisingABidAheadOfAcceptBidFails() external {
        uint256 orderId = createOrder();
        bid(alice, orderId, PRICE);
        // The tenant saw 500 and sends acceptBid(.., 500); alice front-runs it with a raise.
        vm.startPrank(alice);
        market.cancelBid(orderId);
        market.placeBid(orderId, MAX_PRICE);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BidAboveLimit.selector, orderId, alice, MAX_PRICE, PRICE
            )
        );
        vm.prank(tenant);
        market.acceptBid(orderId, alice, PRICE);
    }

    function test_ShieldingBidCannotBePulledAfterTheDeadline() external {
        // alice's low bid kept others away; once nobody can bid, she may not pull it to let her
        // accomplice's high bid win.
        uint256 orderId = createOrder();
        bid(bob, orderId, MAX_PRICE);
        bid(alice, orderId, 1);
        skip(BIDDING_DURATION);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_BiddingClosed.selector, orderId, block.timestamp
            )
        );
        vm.prank(alice);
        market.cancelBid(orderId);
        market.finalize(orderId);
        assertEq(market.getLease(orderId).pricePerSecond, 1, "the shield's price holds");
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
