// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {Base} from "../../Base.t.sol";
import {BlacklistToken} from "../../mocks/BlacklistToken.sol";

contract Claim_Unit_Test is Base {
    uint256 internal constant PRICE = 500;
    uint256 internal leaseId;
    uint256 internal payout;
    uint256 internal refund;
    address internal wallet = makeAddr("another wallet");

    /// @dev A lease closed after an hour while both parties were blacklisted: both are credited.
    function setUp() public override {
        super.setUp();
        leaseId = createLease(alice, PRICE);
        skip(1 hours);
        payout = PRICE * 1 hours - feeOf(PRICE * 1 hours);
        refund = DEPOSIT - PRICE * 1 hours;
        blacklist(alice);
        blacklist(tenant);
        vm.prank(tenant);
        market.close(leaseId);
    }

    function test_RevertWhen_ToZeroAddress() external {
        vm.expectRevert(Errors.Marketplace_ZeroAddress.selector);
        vm.prank(tenant);
        market.claim(address(0));
    }

    function test_RevertGiven_NothingToClaim() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_NothingToClaim.selector, stranger)
        );
        vm.prank(stranger);
        market.claim(stranger);
    }

    function test_RevertGiven_StillBlacklisted() external {
        vm.expectRevert(
            abi.encodeWithSelector(BlacklistToken.BlacklistToken_Blacklisted.selector, tenant)
        );
        vm.prank(tenant);
        market.claim(tenant);
        assertEq(market.claimable(tenant), refund, "the credit stays");
    }

    function test_GivenUnblacklisted() external {
        unblacklist(tenant);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.Claimed(tenant, tenant, refund);
        vm.prank(tenant);
        assertEq(market.claim(tenant), refund, "claimed");

        assertEq(token.balanceOf(tenant), TENANT_FUNDS - PRICE * 1 hours, "refunded at last");
        assertEq(market.claimable(tenant), 0, "nothing left to claim");
        assertEq(market.totalClaimable(), payout, "the provider's credit remains");
        assertEq(
            token.balanceOf(address(market)),
            market.unclaimedFees() + market.totalClaimable(),
            "balance = fees + credits"
        );
    }

    function test_GivenAlreadyClaimed() external {
        unblacklist(alice);
        vm.startPrank(alice);
        market.claim(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_NothingToClaim.selector, alice));
        market.claim(alice);
        vm.stopPrank();
        assertEq(token.balanceOf(alice), payout, "paid once");
    }

    function test_WhenToAnotherAddress() external {
        // The provider is still blacklisted; its credit can go to another of its wallets.
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.Claimed(alice, wallet, payout);
        vm.prank(alice);
        market.claim(wallet);
        assertEq(token.balanceOf(wallet), payout, "paid to the wallet");
        assertEq(market.claimable(alice), 0, "claimed");
    }

    function test_WhenAnotherAccountClaims() external {
        // Only the credited account can take its credit.
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_NothingToClaim.selector, bob));
        vm.prank(bob);
        market.claim(bob);
        assertEq(market.claimable(alice), payout, "untouched");
    }

    function test_GivenSeveralCredits() external {
        // A cancelled order's refund adds to the close's.
        uint256 orderId = createOrderFundedBeforeTheBlacklist();
        vm.prank(tenant);
        market.cancelOrder(orderId);
        assertEq(market.claimable(tenant), refund + DEPOSIT, "added up");
        unblacklist(tenant);
        vm.prank(tenant);
        assertEq(market.claim(tenant), refund + DEPOSIT, "one claim for both");
    }

    function test_WhenPaused() external {
        vm.prank(owner);
        market.pause();
        unblacklist(tenant);
        vm.prank(tenant);
        assertEq(market.claim(tenant), refund, "claims are never paused");
    }

    function createOrderFundedBeforeTheBlacklist() internal returns (uint256 orderId) {
        unblacklist(tenant);
        orderId = createOrder();
        blacklist(tenant);
    }
}
