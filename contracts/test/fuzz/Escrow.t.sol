// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Marketplace} from "../../src/Marketplace.sol";
import {Errors} from "../../src/libraries/Errors.sol";
import {BidView, LeaseView} from "../../src/types/DataTypes.sol";
import {Base} from "../Base.t.sol";

/// @notice Streaming, settlement and ranking over fuzzed prices, deposits, fees and timings, and
/// over which parties the token refuses.
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
        market.acceptBid(leaseId, alice, price);
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

    function testFuzz_CloseConservesWhenPartiesAreRefused(
        uint256 price,
        uint256 deposit,
        uint256 elapsed,
        bool tenantRefused,
        bool providerRefused,
        bool returnsFalse
    ) external {
        uint16 feeBps;
        (price, deposit, feeBps) = boundLease(price, deposit, FEE_BPS);
        uint256 leaseId = leaseWith(price, deposit, feeBps);
        elapsed = bound(elapsed, 0, 400 days);
        uint256 tenantBefore = token.balanceOf(tenant);
        skip(elapsed);
        token.setReturnsFalse(returnsFalse);
        if (tenantRefused) blacklist(tenant);
        if (providerRefused) blacklist(alice);

        vm.prank(providerRefused ? tenant : alice);
        market.close(leaseId);

        uint256 streamed = min(price * elapsed, deposit);
        uint256 fee = streamed * feeBps / 10_000;
        uint256 payout = token.balanceOf(alice) + market.claimable(alice);
        uint256 refund = token.balanceOf(tenant) - tenantBefore + market.claimable(tenant);
        assertEq(payout, streamed - fee, "the provider is owed what streamed, less the fee");
        assertEq(refund, deposit - streamed, "the tenant is owed what did not stream");
        assertEq(market.claimable(alice), providerRefused ? payout : 0, "provider credit");
        assertEq(market.claimable(tenant), tenantRefused ? refund : 0, "tenant credit");
        assertFalse(market.getLease(leaseId).active, "closed, whoever was refused");
        assertEq(
            token.balanceOf(address(market)),
            market.unclaimedFees() + market.totalClaimable(),
            "balance = fees + credits"
        );

        // Cleared, both claim: everything is out but the fee.
        unblacklist(tenant);
        unblacklist(alice);
        if (providerRefused && payout != 0) {
            vm.prank(alice);
            market.claim(alice);
        }
        if (tenantRefused && refund != 0) {
            vm.prank(tenant);
            market.claim(tenant);
        }
        assertEq(token.balanceOf(alice), payout, "provider paid in full");
        assertEq(token.balanceOf(tenant), tenantBefore + refund, "tenant refunded in full");
        assertEq(token.balanceOf(address(market)), fee, "only the fee stays");
    }

    /// @dev New bids from more providers than an order holds, at few distinct prices: the order
    /// keeps the `MAX_BIDS_PER_ORDER` best (lowest, then earliest), refuses a bid that would be
    /// the worst of a full order, and evicts the worst for one that would not.
    function testFuzz_FullOrderKeepsTheBestBids(uint256[48] memory prices) external {
        uint256 orderId = createOrder();
        uint256 max = market.MAX_BIDS_PER_ORDER();
        address[] memory bidders = registerBidders(prices.length);
        // The model: live bids in rank order.
        address[] memory live = new address[](max + 1);
        uint256[] memory livePrice = new uint256[](max + 1);
        uint256 count;
        for (uint256 i; i < prices.length; ++i) {
            uint256 price = bound(prices[i], 1, 8);
            if (count == max && price >= livePrice[count - 1]) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        Errors.Marketplace_BidNotBelowWorst.selector,
                        orderId,
                        price,
                        livePrice[count - 1]
                    )
                );
                bid(bidders[i], orderId, price);
                continue;
            }
            // Insert after every bid at or below the price; drop the last if over the cap.
            uint256 at = count;
            while (at > 0 && livePrice[at - 1] > price) {
                (live[at], livePrice[at]) = (live[at - 1], livePrice[at - 1]);
                --at;
            }
            (live[at], livePrice[at]) = (bidders[i], price);
            if (count == max) {
                assertTrue(market.getBid(orderId, live[max]) != 0, "the worst is live");
                bid(bidders[i], orderId, price);
                assertEq(market.getBid(orderId, live[max]), 0, "and then evicted");
            } else {
                bid(bidders[i], orderId, price);
                ++count;
            }
        }

        BidView[] memory bids = market.getBids(orderId);
        assertEq(bids.length, count, "count");
        assertEq(market.getOrder(orderId).bidCount, count, "bidCount");
        for (uint256 i; i < count; ++i) {
            assertEq(bids[i].provider, live[i], "the model's ranking");
            assertEq(bids[i].pricePerSecond, livePrice[i], "the model's price");
        }
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
