// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Errors} from "../../../src/libraries/Errors.sol";
import {OrderStatus, OrderView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract GetOrders_Unit_Test is Base {
    function test_RevertWhen_MoreThanMaxBatchRead() external {
        uint256 max = market.MAX_BATCH_READ();
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BatchTooLarge.selector, max + 1, max)
        );
        market.getOrders(new uint256[](max + 1));
    }

    function test_WhenListEmpty() external view {
        assertEq(market.getOrders(new uint256[](0)).length, 0, "nothing");
    }

    function test_ReturnsGetOrderOfEachIdInOrder() external {
        uint256 leased = createLease(alice, 400);
        uint256 open = createOrder();
        bid(bob, open, 600);
        uint256 cancelled = createOrder();
        vm.prank(tenant);
        market.cancelOrder(cancelled);

        uint256[] memory asked = new uint256[](4);
        (asked[0], asked[1], asked[2], asked[3]) = (cancelled, open, 42, leased);
        OrderView[] memory orders = market.getOrders(asked);
        assertEq(orders.length, asked.length, "one per id");
        for (uint256 i; i < asked.length; ++i) {
            assertEq(
                keccak256(abi.encode(orders[i])),
                keccak256(abi.encode(market.getOrder(asked[i]))),
                "as getOrder reads it"
            );
        }
        assertTrue(orders[0].status == OrderStatus.Cancelled, "cancelled");
        assertEq(orders[1].bestBidder, bob, "open, with its best bid");
        assertEq(orders[1].escrow, DEPOSIT, "and its deposit");
        assertTrue(orders[2].status == OrderStatus.None, "unknown");
        assertTrue(orders[3].status == OrderStatus.Leased, "leased");
    }
}
