// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Errors} from "../../../src/libraries/Errors.sol";
import {Base} from "../../Base.t.sol";

contract GetBidsOf_Unit_Test is Base {
    function test_RevertWhen_MoreThanMaxBatchRead() external {
        uint256 max = market.MAX_BATCH_READ();
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BatchTooLarge.selector, max + 1, max)
        );
        market.getBidsOf(new uint256[](max + 1), alice);
    }

    function test_WhenListEmpty() external view {
        assertEq(market.getBidsOf(new uint256[](0), alice).length, 0, "nothing");
    }

    function test_ReturnsTheProvidersBidOnEachOrderInOrder() external {
        uint256 none = createOrder();
        bid(bob, none, 300);
        uint256 bidOn = createOrder();
        bid(alice, bidOn, 700);
        uint256 lowered = createOrder();
        bid(alice, lowered, 600);
        bid(alice, lowered, 550);
        uint256 leased = createLease(alice, 400);
        uint256 evicted = createOrder();
        bid(alice, evicted, MAX_PRICE);
        placeBids(evicted, registerBidders(market.MAX_BIDS_PER_ORDER()), 100, 1);

        uint256[] memory asked = new uint256[](7);
        (asked[0], asked[1], asked[2], asked[3]) = (42, none, bidOn, lowered);
        (asked[4], asked[5], asked[6]) = (leased, evicted, bidOn);
        uint256[] memory prices = market.getBidsOf(asked, alice);
        assertEq(prices.length, asked.length, "one per id");
        assertEq(prices[0], 0, "unknown order");
        assertEq(prices[1], 0, "no bid of alice");
        assertEq(prices[2], 700, "her bid");
        assertEq(prices[3], 550, "lowered");
        assertEq(prices[4], 400, "the leased order's bid, as it stood");
        assertEq(prices[5], 0, "evicted");
        assertEq(prices[6], 700, "repeated");
    }

    function testFuzz_EqualsGetBidIdById(uint256[6] memory picks, uint256[3] memory prices)
        external
    {
        address[3] memory providers = [alice, bob, carol];
        uint256[] memory orderIds = new uint256[](3);
        for (uint256 i; i < orderIds.length; ++i) {
            orderIds[i] = createOrder();
            for (uint256 j; j < providers.length; ++j) {
                // Some providers bid, at prices of their own.
                uint256 price = bound(uint256(keccak256(abi.encode(prices[i], j))), 0, MAX_PRICE);
                if (price != 0) bid(providers[j], orderIds[i], price);
            }
        }
        uint256[] memory asked = new uint256[](picks.length);
        for (uint256 i; i < picks.length; ++i) {
            // Mostly the orders, sometimes an id without one.
            asked[i] = bound(picks[i], 1, orderIds.length + 2);
        }
        for (uint256 j; j < providers.length; ++j) {
            uint256[] memory got = market.getBidsOf(asked, providers[j]);
            for (uint256 i; i < asked.length; ++i) {
                assertEq(got[i], market.getBid(asked[i], providers[j]), "as getBid reads it");
            }
        }
    }
}
