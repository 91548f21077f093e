// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Marketplace} from "../../src/Marketplace.sol";
import {BidView, LeaseView} from "../../src/types/DataTypes.sol";
import {Base} from "../Base.t.sol";

/// @notice Streaming, settlement and ranking over fuzzed prices, deposits, fees and timings.
contract Escrow_Fuzz_Test is Base {
    /// @dev A lease at `price` with `deposit` under a marketplace charging `fee`.
    function leaseWith(uint256 price, uint256 deposit, uint16 fee) internal returns (uint256) {
        vm.prank(owner);
        market.setFee(fee);
        vm.prank(tenant);
        uint256 leaseId =
            market.createOrder(h100Resources(), price, BIDDING_DURATION, deposit, manifest);
        bid(alice, leaseId, price);
        vm.prank(tenant);
        market.acceptBid(leaseId, alice);
        return leaseId;
    }

    function boundLease(uint256 price, uint256 deposit, uint256 fee)
        internal
        pure
        returns (uint256, uint256, uint16)
    {
        price = bound(price, 1, 1e11);
        deposit = bound(deposit, price * MIN_RUN_SECONDS, TENANT_FUNDS);
        return (price, deposit, uint16(bound(fee, 0, 1000)));
    }

    function testFuzz_WithdrawStreamsRateTimesElapsed(
        uint256 price,
        uint256 deposit,
        uint256 fee,
        uint256 first,
        uint256 second
    ) external {
        uint16 feeBps;
        (price, deposit, feeBps) = boundLease(price, deposit, fee);
        uint256 leaseId = leaseWith(price, deposit, feeBps);
        first = bound(first, 0, 400 days);
        second = bound(second, 0, 400 days);

        skip(first);
        vm.prank(alice);
        uint256 paid = market.withdraw(ids(leaseId));
        uint256 gross = min(price * first, deposit);
        assertEq(paid, gross - gross * feeBps / 10_000, "first withdrawal");

        skip(second);
        vm.prank(alice);
        paid += market.withdraw(ids(leaseId));
        uint256 total = min(price * (first + second), deposit);
        assertLe(total, price * (first + second), "never more than rate x time");
        assertEq(market.getLease(leaseId).remaining, deposit - total, "escrow left");
        assertEq(
            token.balanceOf(alice) + market.unclaimedFees(), total, "provider + fees = streamed"
        );
        assertEq(token.balanceOf(alice), paid, "paid what withdraw returned");
    }

    function testFuzz_CloseConserves(
        uint256 price,
        uint256 deposit,
        uint256 fee,
        uint256 elapsed,
        bool byProvider
    ) external {
        uint16 feeBps;
        (price, deposit, feeBps) = boundLease(price, deposit, fee);
        uint256 leaseId = leaseWith(price, deposit, feeBps);
        elapsed = bound(elapsed, 0, 400 days);
        uint256 tenantBefore = token.balanceOf(tenant);

        skip(elapsed);
        vm.prank(byProvider ? alice : tenant);
        market.close(leaseId);

        uint256 streamed = min(price * elapsed, deposit);
        uint256 refund = token.balanceOf(tenant) - tenantBefore;
        assertEq(refund, deposit - streamed, "refund is what did not stream");
        assertEq(
            token.balanceOf(alice) + market.unclaimedFees() + refund,
            deposit,
            "payout + fee + refund = deposit"
        );
        assertEq(market.unclaimedFees(), streamed * feeBps / 10_000, "fee");
        assertEq(token.balanceOf(address(market)), market.unclaimedFees(), "only fees left");
        skip(elapsed);
        assertEq(market.accruedOf(leaseId), 0, "a closed lease never accrues");
    }

    function testFuzz_DepositExtendsTheRun(
        uint256 price,
        uint256 deposit,
        uint256 elapsed,
        uint256 amount
    ) external {
        uint16 feeBps;
        (price, deposit, feeBps) = boundLease(price, deposit, 0);
        uint256 leaseId = leaseWith(price, deposit, feeBps);
        uint256 startedAt = block.timestamp;
        uint256 runsOut = startedAt + deposit / price;
        elapsed = bound(elapsed, 0, runsOut - startedAt);
        amount = bound(amount, 1, 1e15);
        fund(stranger, amount);

        skip(elapsed);
        bool exhausted = deposit <= price * elapsed;
        if (exhausted) vm.expectRevert();
        vm.prank(stranger);
        market.deposit(leaseId, amount);
        if (exhausted) return;

        LeaseView memory lease = market.getLease(leaseId);
        assertEq(lease.fundedUntil, startedAt + (deposit + amount) / price, "funded longer");
        assertEq(lease.accrued, price * elapsed, "accrual untouched");
        assertEq(lease.remaining, deposit + amount - price * elapsed, "remaining");
    }

    function testFuzz_BestBidIsTheLowestEarliest(uint256[6] memory prices, uint256 lowerings)
        external
    {
        uint256 orderId = createOrder();
        address[3] memory providers = [alice, bob, carol];
        uint256[3] memory price;
        uint256[3] memory at; // when each live bid was placed or last lowered
        uint256 clock;
        for (uint256 step; step < 6; ++step) {
            uint256 p = step % 3;
            // Few distinct prices, so that ties happen.
            uint256 newPrice = bound(prices[step], 1, 5);
            if (price[p] != 0 && newPrice >= price[p]) continue; // not a lowering: skip
            if (price[p] != 0 && (lowerings >> step) & 1 == 0) {
                vm.prank(providers[p]);
                market.cancelBid(orderId);
                price[p] = 0;
                continue;
            }
            bid(providers[p], orderId, newPrice);
            (price[p], at[p]) = (newPrice, ++clock);
        }

        // The model's winner: the lowest price, then the earliest.
        uint256 best = type(uint256).max;
        for (uint256 p; p < 3; ++p) {
            if (price[p] == 0) continue;
            if (
                best == type(uint256).max || price[p] < price[best]
                    || (price[p] == price[best] && at[p] < at[best])
            ) best = p;
        }
        BidView[] memory bids = market.getBids(orderId);
        if (best == type(uint256).max) {
            assertEq(bids.length, 0, "no live bid");
            return;
        }
        assertEq(market.getOrder(orderId).bestBidder, providers[best], "best bidder");
        assertEq(market.getOrder(orderId).bestPricePerSecond, price[best], "best price");
        for (uint256 i = 1; i < bids.length; ++i) {
            assertLe(bids[i - 1].pricePerSecond, bids[i].pricePerSecond, "ranked");
        }
    }

    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
