// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Marketplace} from "../../../src/Marketplace.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {IProviderRegistry} from "../../../src/interfaces/IProviderRegistry.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {Base} from "../../Base.t.sol";

/// @notice The constructor and the owner's and treasury's functions.
contract Admin_Unit_Test is Base {
    function test_Constructor() external view {
        assertEq(market.owner(), owner, "owner");
        assertEq(address(market.token()), address(token), "token");
        assertEq(address(market.registry()), address(registry), "registry");
        assertEq(market.treasury(), treasury, "treasury");
        assertEq(market.feeBps(), FEE_BPS, "fee");
        assertEq(market.minRunSeconds(), MIN_RUN_SECONDS, "minimum run");
        assertEq(market.lastOrderId(), 0, "no orders");
        assertEq(market.MAX_FEE_BPS(), 1000, "fee cap: 10%");
        assertEq(market.MAX_BIDS_PER_ORDER(), 32, "bid cap");
        assertEq(market.totalClaimable(), 0, "no credits");
    }

    function test_RevertWhen_ConstructedWithZeroToken() external {
        vm.expectRevert(Errors.Marketplace_ZeroAddress.selector);
        new Marketplace(owner, IERC20(address(0)), registry, treasury, FEE_BPS, MIN_RUN_SECONDS);
    }

    function test_RevertWhen_ConstructedWithZeroRegistry() external {
        vm.expectRevert(Errors.Marketplace_ZeroAddress.selector);
        new Marketplace(
            owner, token, IProviderRegistry(address(0)), treasury, FEE_BPS, MIN_RUN_SECONDS
        );
    }

    function test_RevertWhen_ConstructedWithZeroTreasury() external {
        vm.expectRevert(Errors.Marketplace_ZeroAddress.selector);
        new Marketplace(owner, token, registry, address(0), FEE_BPS, MIN_RUN_SECONDS);
    }

    function test_RevertWhen_ConstructedWithFeeAboveCap() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_FeeTooHigh.selector, 1001, 1000));
        new Marketplace(owner, token, registry, treasury, 1001, MIN_RUN_SECONDS);
    }

    function test_RevertWhen_SetFeeByStranger() external {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        market.setFee(10);
    }

    function test_RevertWhen_SetFeeAboveCap() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_FeeTooHigh.selector, 1001, 1000));
        vm.prank(owner);
        market.setFee(1001);
    }

    function test_SetFee() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.FeeUpdated(FEE_BPS, 1000);
        vm.prank(owner);
        market.setFee(1000);
        assertEq(market.feeBps(), 1000, "fee");
        assertEq(market.getLease(createLease(alice, 500)).feeBps, 1000, "new leases get it");
    }

    function test_RevertWhen_SetTreasuryByStranger() external {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        market.setTreasury(stranger);
    }

    function test_RevertWhen_SetTreasuryToZero() external {
        vm.expectRevert(Errors.Marketplace_ZeroAddress.selector);
        vm.prank(owner);
        market.setTreasury(address(0));
    }

    function test_SetTreasury() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.TreasuryUpdated(treasury, stranger);
        vm.prank(owner);
        market.setTreasury(stranger);
        assertEq(market.treasury(), stranger, "treasury");
    }

    function test_RevertWhen_SetMinRunByStranger() external {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        market.setMinRunSeconds(1);
    }

    function test_SetMinRunSeconds() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.MinRunUpdated(MIN_RUN_SECONDS, 1 days);
        vm.prank(owner);
        market.setMinRunSeconds(1 days);
        assertEq(market.minRunSeconds(), 1 days, "minimum run");
    }

    function test_RevertWhen_PauseByStranger() external {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        market.pause();
    }

    function test_RevertWhen_UnpauseByStranger() external {
        vm.prank(owner);
        market.pause();
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        market.unpause();
    }

    function test_PauseAndUnpause() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit Pausable.Paused(owner);
        vm.prank(owner);
        market.pause();
        assertTrue(market.paused(), "paused");
        vm.prank(owner);
        market.unpause();
        assertFalse(market.paused(), "unpaused");
        createOrder();
    }

    function test_ClaimFeesByAnyone() external {
        uint256 leaseId = createLease(alice, 500);
        skip(1 hours);
        vm.prank(alice);
        market.withdraw(ids(leaseId));
        uint256 fees = feeOf(500 * 1 hours);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.FeesClaimed(treasury, fees);
        vm.prank(stranger);
        assertEq(market.claimFees(), fees, "claimed");
        assertEq(token.balanceOf(treasury), fees, "to the treasury");
        assertEq(market.unclaimedFees(), 0, "none left");
    }

    function test_ClaimFeesWhenTreasuryRefused() external {
        // Fees are not credited like a party's payment: they stay, and the owner moves the treasury.
        uint256 leaseId = createLease(alice, 500);
        skip(1 hours);
        vm.prank(alice);
        market.withdraw(ids(leaseId));
        uint256 fees = feeOf(500 * 1 hours);
        blacklist(treasury);
        vm.expectRevert();
        market.claimFees();
        assertEq(market.unclaimedFees(), fees, "the fees stay");
        vm.prank(owner);
        market.setTreasury(stranger);
        assertEq(market.claimFees(), fees, "claimed");
        assertEq(token.balanceOf(stranger), fees, "to the new treasury");
    }

    function test_ClaimFeesWhenNone() external {
        assertEq(market.claimFees(), 0, "nothing");
        assertEq(token.balanceOf(treasury), 0, "nothing moved");
    }

    function test_OwnershipTransferInTwoSteps() external {
        vm.prank(owner);
        market.transferOwnership(stranger);
        assertEq(market.owner(), owner, "not before acceptance");
        assertEq(market.pendingOwner(), stranger, "pending");
        vm.prank(stranger);
        market.acceptOwnership();
        assertEq(market.owner(), stranger, "accepted");
    }
}
