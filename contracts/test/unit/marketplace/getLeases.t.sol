// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Errors} from "../../../src/libraries/Errors.sol";
import {LeaseView} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract GetLeases_Unit_Test is Base {
    function test_RevertWhen_MoreThanMaxBatchRead() external {
        uint256 max = market.MAX_BATCH_READ();
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Marketplace_BatchTooLarge.selector, max + 1, max)
        );
        market.getLeases(new uint256[](max + 1));
    }

    function test_WhenMaxBatchRead() external view {
        uint256 max = market.MAX_BATCH_READ();
        assertEq(market.getLeases(new uint256[](max)).length, max, "every id read");
    }

    function test_WhenListEmpty() external view {
        assertEq(market.getLeases(new uint256[](0)).length, 0, "nothing");
    }

    function test_ReturnsGetLeaseOfEachIdInOrder() external {
        uint256 active = createLease(alice, 400);
        uint256 closed = createLease(bob, 500);
        uint256 open = createOrder();
        skip(1 hours);
        vm.prank(tenant);
        market.close(closed);
        skip(1 hours);

        uint256[] memory asked = new uint256[](5);
        (asked[0], asked[1], asked[2], asked[3], asked[4]) = (42, open, active, closed, active);
        LeaseView[] memory leases = market.getLeases(asked);
        assertEq(leases.length, asked.length, "one per id");
        for (uint256 i; i < asked.length; ++i) {
            assertSameLease(leases[i], market.getLease(asked[i]));
        }
        assertEq(leases[2].accrued, 400 * 2 hours, "as of this block");
        assertFalse(leases[3].active, "closed");
        assertEq(leases[1].tenant, tenant, "an open order's tenant");
        assertEq(leases[0].provider, address(0), "unknown");
    }

    function testFuzz_EqualsGetLeaseIdById(uint256[6] memory picks, uint256 elapsed) external {
        uint256[] memory leaseIds = new uint256[](3);
        for (uint256 i; i < leaseIds.length; ++i) {
            leaseIds[i] = createLease(i % 2 == 0 ? alice : bob, 100 * (i + 1));
        }
        skip(bound(elapsed, 0, 3 days));
        uint256[] memory asked = new uint256[](picks.length);
        for (uint256 i; i < picks.length; ++i) {
            // Mostly the leases, sometimes an id without one.
            asked[i] = bound(picks[i], 1, leaseIds.length + 2);
        }
        LeaseView[] memory leases = market.getLeases(asked);
        for (uint256 i; i < asked.length; ++i) {
            assertSameLease(leases[i], market.getLease(asked[i]));
        }
    }

    function assertSameLease(LeaseView memory batch, LeaseView memory one) internal pure {
        assertEq(keccak256(abi.encode(batch)), keccak256(abi.encode(one)), "as getLease reads it");
    }
}
