// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {LeaseView, OrderStatus} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract Finalize_Unit_Test is Base {
    uint256 internal orderId;
    uint256 internal deadline;

    function setUp() public override {
        super.setUp();
        orderId = createOrder();
        deadline = block.timestamp + BIDDING_DURATION;
    }

    function test_RevertWhen_Paused() external {
        bid(alice, orderId, 500);
        vm.warp(deadline);
        vm.prank(owner);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.finalize(orderId);
    }

    function test_RevertGiven_OrderNotOpen() external {
        vm.prank(tenant);
        market.cancelOrder(orderId);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_OrderNotOpen.selector, orderId, OrderStatus.Cancelled
            )
        );
        market.finalize(orderId);
    }

    function test_RevertWhen_BeforeDeadline() external {
        bid(alice, orderId, 500);
        vm.warp(deadline - 1);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BiddingOpen.selector, orderId, deadline)
        );
        market.finalize(orderId);
    }

    function test_RevertGiven_NoBids() external {
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_NoBids.selector, orderId));
        market.finalize(orderId);
    }

    function test_GivenBidsAtDeadline() external {
        bid(bob, orderId, 600);
        bid(alice, orderId, 500);
        bid(carol, orderId, 550);
        vm.warp(deadline);
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.LeaseCreated(
            orderId, tenant, alice, 500, DEPOSIT, FEE_BPS, deadline, deadline + DEPOSIT / 500
        );
        vm.prank(stranger);
        market.finalize(orderId);
        LeaseView memory lease = market.getLease(orderId);
        assertEq(lease.provider, alice, "lowest bid wins");
        assertEq(lease.pricePerSecond, 500, "at its price");
    }

    function test_GivenTiedBids() external {
        bid(bob, orderId, 500);
        bid(alice, orderId, 500);
        vm.warp(deadline);
        market.finalize(orderId);
        assertEq(market.getLease(orderId).provider, bob, "the earlier bid wins a tie");
    }
}
