// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Marketplace} from "../../src/Marketplace.sol";
import {ProviderRegistry} from "../../src/ProviderRegistry.sol";
import {Attribute, BidView, LeaseView, OrderStatus, OrderView} from "../../src/types/DataTypes.sol";
import {BlacklistToken} from "../mocks/BlacklistToken.sol";
import {Test} from "../utils/Test.sol";
import {MarketplaceHandler} from "./handlers/MarketplaceHandler.sol";

/// @notice The marketplace's invariants (see README.md beside this file), checked after every
/// call of random sequences driven by {MarketplaceHandler}.
contract Marketplace_Invariant_Test is Test {
    BlacklistToken internal token;
    Marketplace internal market;
    MarketplaceHandler internal handler;

    function setUp() external {
        vm.warp(1_750_000_000);
        token = new BlacklistToken();
        ProviderRegistry registry = new ProviderRegistry();
        address owner = makeAddr("owner");
        market = new Marketplace(
            owner, IERC20(address(token)), registry, makeAddr("treasury"), 100, 1 hours
        );
        handler = new MarketplaceHandler(market, token, owner);
        for (uint256 i; i < handler.providerCount(); ++i) {
            vm.prank(handler.providers(i));
            registry.register("https://gateway.example", new Attribute[](0));
        }

        bytes4[] memory selectors = new bytes4[](18);
        selectors[0] = MarketplaceHandler.createOrder.selector;
        selectors[1] = MarketplaceHandler.placeBid.selector;
        selectors[2] = MarketplaceHandler.cancelBid.selector;
        selectors[3] = MarketplaceHandler.acceptBid.selector;
        selectors[4] = MarketplaceHandler.finalize.selector;
        selectors[5] = MarketplaceHandler.cancelOrder.selector;
        selectors[6] = MarketplaceHandler.deposit.selector;
        selectors[7] = MarketplaceHandler.withdraw.selector;
        selectors[8] = MarketplaceHandler.close.selector;
        selectors[9] = MarketplaceHandler.updateManifest.selector;
        selectors[10] = MarketplaceHandler.warp.selector;
        selectors[11] = MarketplaceHandler.setFee.selector;
        selectors[12] = MarketplaceHandler.togglePause.selector;
        selectors[13] = MarketplaceHandler.claimFees.selector;
        selectors[14] = MarketplaceHandler.fillBids.selector;
        selectors[15] = MarketplaceHandler.toggleBlacklist.selector;
        selectors[16] = MarketplaceHandler.claim.selector;
        selectors[17] = MarketplaceHandler.placeBids.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// @dev The marketplace's token balance equals the open escrows plus the unclaimed fees plus
    /// the credits of refused payments, and what came in minus what went out.
    function invariant_BalanceEqualsEscrowPlusFeesPlusCredits() external view {
        uint256 escrow;
        uint256 count = handler.orderCount();
        for (uint256 i; i < count; ++i) {
            uint256 id = handler.orderIds(i);
            OrderView memory order = market.getOrder(id);
            if (order.status == OrderStatus.Open) escrow += order.escrow;
            LeaseView memory lease = market.getLease(id);
            if (lease.active) escrow += lease.accrued + lease.remaining;
        }
        uint256 balance = token.balanceOf(address(market));
        assertEq(
            balance,
            escrow + market.unclaimedFees() + market.totalClaimable(),
            "balance = escrow + fees + credits"
        );
        assertEq(balance, handler.totalIn() - handler.totalOut(), "balance = in - out");
    }

    /// @dev The credits add up: every account's `claimable` sums to `totalClaimable`, which is
    /// what was credited less what was claimed.
    function invariant_CreditsAddUp() external view {
        address[] memory parties = handler.parties();
        uint256 sum;
        for (uint256 i; i < parties.length; ++i) {
            sum += market.claimable(parties[i]);
        }
        assertEq(sum, market.totalClaimable(), "sum of claimable = totalClaimable");
        assertEq(
            market.totalClaimable(),
            handler.totalCredited() - handler.totalClaimed(),
            "totalClaimable = credited - claimed"
        );
    }

    /// @dev A provider never receives more than rate x time served, and every lease's money adds
    /// up: streamed + escrow left = deposited while open; payout + fee + refund = deposited closed.
    function invariant_LeaseAccounting() external view {
        uint256 count = handler.orderCount();
        for (uint256 i; i < count; ++i) {
            uint256 id = handler.orderIds(i);
            MarketplaceHandler.LeaseRecord memory record = handler.record(id);
            LeaseView memory lease = market.getLease(id);
            if (lease.provider == address(0)) continue;
            uint256 end = record.closedAt != 0 ? record.closedAt : block.timestamp;
            assertLe(record.streamed, record.rate * (end - record.startedAt), "rate x time");
            assertEq(record.payout + record.fees, record.streamed, "payout + fee = streamed");
            if (lease.active) {
                assertEq(
                    record.streamed + lease.accrued + lease.remaining,
                    record.deposited,
                    "streamed + escrow = deposited"
                );
            } else {
                assertEq(
                    record.payout + record.fees + record.refund,
                    record.deposited,
                    "payout + fee + refund = deposited"
                );
            }
        }
    }

    /// @dev A closed lease never accrues and nothing is ever withdrawn from it.
    function invariant_ClosedLeaseNeverAccrues() external view {
        uint256 count = handler.orderCount();
        for (uint256 i; i < count; ++i) {
            uint256 id = handler.orderIds(i);
            LeaseView memory lease = market.getLease(id);
            if (lease.provider == address(0) || lease.active) continue;
            assertEq(lease.accrued, 0, "no accrual after close");
            assertEq(lease.remaining, 0, "no escrow after close");
            assertEq(handler.record(id).streamedAfterClose, 0, "no withdrawal after close");
        }
    }

    /// @dev An open order holds at most `MAX_BIDS_PER_ORDER` live bids, exactly the model's, ranked
    /// by price.
    function invariant_BidsBounded() external view {
        uint256 max = market.MAX_BIDS_PER_ORDER();
        uint256 count = handler.orderCount();
        for (uint256 i; i < count; ++i) {
            uint256 id = handler.orderIds(i);
            OrderView memory order = market.getOrder(id);
            if (order.status != OrderStatus.Open) continue;
            assertLe(order.bidCount, max, "at most MAX_BIDS_PER_ORDER");
            assertEq(order.bidCount, handler.modelCount(id), "the model's count");
            BidView[] memory bids = market.getBids(id);
            assertEq(bids.length, order.bidCount, "the list holds the count");
            for (uint256 j; j < bids.length; ++j) {
                assertEq(
                    bids[j].pricePerSecond,
                    handler.modelPrice(id, bids[j].provider),
                    "a live bid of the model"
                );
                if (j > 0) assertLe(bids[j - 1].pricePerSecond, bids[j].pricePerSecond, "ranked");
            }
        }
    }

    /// @dev The best bid of an open order is the lowest live bid, the earliest among equals.
    function invariant_BestBidIsTheMinimumLiveBid() external view {
        uint256 count = handler.orderCount();
        for (uint256 i; i < count; ++i) {
            uint256 id = handler.orderIds(i);
            OrderView memory order = market.getOrder(id);
            if (order.status != OrderStatus.Open) continue;
            (address best, uint256 price) = handler.modelBest(id);
            assertEq(order.bestBidder, best, "best bidder");
            assertEq(order.bestPricePerSecond, price, "best price");
        }
    }
}
