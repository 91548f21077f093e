// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BidView, LeaseView, OrderStatus, OrderView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

/// @notice What a client reads without replaying events.
contract Views_Unit_Test is Base {
    function test_GetOrderOfUnknownId() external view {
        OrderView memory order = market.getOrder(42);
        assertTrue(order.status == OrderStatus.None, "none");
        assertEq(order.tenant, address(0), "no tenant");
        assertEq(market.getBids(42).length, 0, "no bids");
    }

    function test_GetLeaseOfUnknownOrOpenId() external {
        LeaseView memory lease = market.getLease(42);
        assertEq(lease.provider, address(0), "no provider");
        assertFalse(lease.active, "not active");
        uint256 orderId = createOrder();
        lease = market.getLease(orderId);
        assertEq(lease.tenant, tenant, "tenant known");
        assertFalse(lease.active, "not leased yet");
        assertEq(market.accruedOf(orderId), 0, "nothing accrues before the lease");
    }

    function test_GetBidsKeepsTheRankingAfterTheLease() external {
        uint256 orderId = createOrder();
        bid(alice, orderId, 700);
        bid(bob, orderId, 600);
        vm.prank(tenant);
        market.acceptBid(orderId, alice, 700);
        BidView[] memory bids = market.getBids(orderId);
        assertEq(bids.length, 2, "as they stood");
        assertEq(bids[0].provider, bob, "bob first");
        assertEq(bids[0].pricePerSecond, 600, "at 600");
        assertEq(market.getOrder(orderId).bidCount, 2, "count as it stood");
    }

    function test_GetLeaseOverTime() external {
        uint256 leaseId = createLease(alice, 400);
        uint256 startedAt = block.timestamp;
        uint256 runsOut = startedAt + DEPOSIT / 400;

        skip(1 hours);
        LeaseView memory lease = market.getLease(leaseId);
        assertEq(lease.accrued, 400 * 1 hours, "accrued");
        assertEq(lease.remaining, DEPOSIT - 400 * 1 hours, "remaining");
        assertEq(lease.fundedUntil, runsOut, "runs out");
        assertEq(market.accruedOf(leaseId), 400 * 1 hours, "accruedOf");

        vm.warp(runsOut + 1 days);
        lease = market.getLease(leaseId);
        assertEq(lease.accrued, DEPOSIT, "capped by the escrow");
        assertEq(lease.remaining, 0, "nothing left");
        assertTrue(lease.active, "open until someone closes it");
    }
}
