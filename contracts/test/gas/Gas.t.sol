// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Marketplace} from "../../src/Marketplace.sol";
import {ProviderRegistry} from "../../src/ProviderRegistry.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {Attribute, Resources} from "../../src/types/DataTypes.sol";
import {BlacklistToken} from "../mocks/BlacklistToken.sol";
import {Test} from "../utils/Test.sol";
import {MANIFEST_1KIB} from "./Manifest1KiB.sol";

/// @notice One marketplace call per test, so that `.gas-snapshot` holds the gas of each call
/// (what a transaction executes, without the 21,000 base cost and calldata, as in Sablier's
/// published benchmarks). This contract itself is the caller, so no cheatcode runs around the
/// measured call; everything else is prepared in setUp, whose storage reads are cold again in the
/// test, and the marketplace is an immutable so that reaching it reads no storage of this
/// contract. Steady state: the provider and the fee pot already hold tokens (after a first
/// withdrawal), the protocol fee is 1%, the token is OpenZeppelin's ERC-20. The pull-payment
/// fallback (a credited payment, a claim) is measured on a second marketplace whose token
/// blacklists accounts as USDC can (its checks read three more cold slots per transfer).
contract Gas_Test is Test {
    /// @dev The most leases a withdrawal batch is measured at (the settlement's largest batch).
    uint256 internal constant LEASES = 500;
    /// @dev Lease ids 1..LEASES are this contract's leases; the named orders follow.
    uint256 internal constant FIRST_LEASE = 1;
    uint256 internal constant CLOSE_LEASE = LEASES + 1;
    uint256 internal constant FIRST_BID_ORDER = LEASES + 2;
    uint256 internal constant LOWER_BID_ORDER = LEASES + 3;
    uint256 internal constant ACCEPT_ORDER = LEASES + 4;
    uint256 internal constant FINALIZE_ORDER = LEASES + 5;
    /// @dev MAX_BIDS_PER_ORDER bids of other providers; this contract bids last-but-one.
    uint256 internal constant FULL_ORDER = LEASES + 6;
    /// @dev MAX_BIDS_PER_ORDER - 1 bids of other providers, then this contract's, the worst.
    uint256 internal constant FULL_ORDER_OWN_LAST = LEASES + 7;
    /// @dev BATCH_BID_ORDERS orders from here on, each with a rival's bid (as FIRST_BID_ORDER):
    /// what `placeBids` costs per bid beside `placeBid`'s first bid.
    uint256 internal constant FIRST_BATCH_BID_ORDER = LEASES + 8;
    uint256 internal constant BATCH_BID_ORDERS = 100;
    /// @dev On the blacklisting marketplace: a lease this contract (the tenant) closes while the
    /// rival (the provider) is blacklisted.
    uint256 internal constant DEFERRED_CLOSE_LEASE = 2;

    Marketplace internal immutable market;
    MockERC20 internal immutable token;
    ProviderRegistry internal immutable registry;
    address internal immutable tenant = makeAddr("tenant");
    address internal immutable rival = makeAddr("rival provider");
    Marketplace internal immutable blacklistMarket;
    BlacklistToken internal immutable blacklistToken;

    constructor() {
        token = new MockERC20("Test USD", "TUSD", 6);
        registry = new ProviderRegistry();
        market = new Marketplace(
            makeAddr("owner"), IERC20(address(token)), registry, makeAddr("treasury"), 100, 1 hours
        );
        blacklistToken = new BlacklistToken();
        blacklistMarket = new Marketplace(
            makeAddr("owner"),
            IERC20(address(blacklistToken)),
            registry,
            makeAddr("treasury"),
            100,
            1 hours
        );
    }

    function setUp() external {
        require(MANIFEST_1KIB.length == 1024, "the manifest must be 1 KiB");
        vm.warp(1_750_000_000);
        registry.register("https://gateway.example", new Attribute[](0));
        vm.prank(rival);
        registry.register("https://rival.example", new Attribute[](0));
        for (uint256 i; i < 2; ++i) {
            address account = i == 0 ? tenant : address(this);
            token.mint(account, 1e15);
            vm.prank(account);
            token.approve(address(market), type(uint256).max);
        }

        // This contract's leases (as the provider).
        for (uint256 i; i < LEASES + 1; ++i) {
            uint256 id = createOrderAsTenant(1 hours);
            market.placeBid(id, 500);
            vm.prank(tenant);
            market.acceptBid(id, address(this), 500);
        }
        // An order this contract bids on for the first time, after a rival.
        requireId(createOrderAsTenant(30 days), FIRST_BID_ORDER);
        bidAsRival(FIRST_BID_ORDER, 900);
        // An order where this contract's best bid gets lowered.
        requireId(createOrderAsTenant(30 days), LOWER_BID_ORDER);
        market.placeBid(LOWER_BID_ORDER, 800);
        bidAsRival(LOWER_BID_ORDER, 900);
        // An order of this contract (as the tenant) with a bid to accept.
        requireId(
            market.createOrder(resources(), 1000, 1 hours, 1000 * 1 days, MANIFEST_1KIB),
            ACCEPT_ORDER
        );
        bidAsRival(ACCEPT_ORDER, 500);
        // An order whose bidding ends before the tests run.
        requireId(createOrderAsTenant(1 minutes), FINALIZE_ORDER);
        bidAsRival(FINALIZE_ORDER, 500);

        // A full order, and one where this contract's bid is the worst of a full order.
        address[] memory bidders = new address[](market.MAX_BIDS_PER_ORDER());
        for (uint256 i; i < bidders.length; ++i) {
            bidders[i] = makeAddr(string.concat("bidder ", vm.toString(i)));
            vm.prank(bidders[i]);
            registry.register("https://bidder.example", new Attribute[](0));
        }
        requireId(createOrderAsTenant(30 days), FULL_ORDER);
        for (uint256 i; i < bidders.length; ++i) {
            vm.prank(bidders[i]);
            market.placeBid(FULL_ORDER, 500 + i);
        }
        requireId(createOrderAsTenant(30 days), FULL_ORDER_OWN_LAST);
        for (uint256 i; i < bidders.length - 1; ++i) {
            vm.prank(bidders[i]);
            market.placeBid(FULL_ORDER_OWN_LAST, 500 + i);
        }
        market.placeBid(FULL_ORDER_OWN_LAST, 900);
        for (uint256 i; i < BATCH_BID_ORDERS; ++i) {
            requireId(createOrderAsTenant(30 days), FIRST_BATCH_BID_ORDER + i);
            bidAsRival(FIRST_BATCH_BID_ORDER + i, 900);
        }

        setUpBlacklistMarket();

        // A first withdrawal, then an hour of streaming.
        vm.warp(block.timestamp + 1 hours);
        market.withdraw(leaseIds(LEASES));
        vm.warp(block.timestamp + 1 hours);
    }

    /// @dev This contract's payout of lease 1 was refused and credited (then it was cleared, to
    /// claim it); lease 2 is this contract's as the tenant, its provider (the rival) blacklisted.
    function setUpBlacklistMarket() internal {
        for (uint256 i; i < 2; ++i) {
            address account = i == 0 ? tenant : address(this);
            blacklistToken.mint(account, 1e15);
            vm.prank(account);
            blacklistToken.approve(address(blacklistMarket), type(uint256).max);
        }
        vm.prank(tenant);
        uint256 id = blacklistMarket.createOrder(resources(), 1000, 1 hours, 1000 * 1 days, "m");
        blacklistMarket.placeBid(id, 500);
        vm.prank(tenant);
        blacklistMarket.acceptBid(id, address(this), 500);
        id = blacklistMarket.createOrder(resources(), 1000, 1 hours, 1000 * 1 days, "m");
        requireId(id, DEFERRED_CLOSE_LEASE);
        vm.prank(rival);
        blacklistMarket.placeBid(id, 500);
        blacklistMarket.acceptBid(id, rival, 500);
        vm.warp(block.timestamp + 1 hours);
        blacklistToken.setBlacklisted(address(this), true);
        blacklistMarket.close(1);
        require(blacklistMarket.claimable(address(this)) != 0, "gas fixture: nothing credited");
        blacklistToken.setBlacklisted(address(this), false);
        blacklistToken.setBlacklisted(rival, true);
    }

    function test_Gas_CreateOrder_1KiBManifest() external {
        market.createOrder(resources(), 1000, 1 hours, 1000 * 1 days, MANIFEST_1KIB);
    }

    function test_Gas_PlaceBid_First() external {
        market.placeBid(FIRST_BID_ORDER, 800);
    }

    function test_Gas_PlaceBid_Lowering() external {
        market.placeBid(LOWER_BID_ORDER, 700);
    }

    /// @dev The worst case of placeBid: a new bid on a full order, below only the worst, which it
    /// evicts (MAX_BIDS_PER_ORDER bids read).
    function test_Gas_PlaceBid_FullOrder() external {
        market.placeBid(FULL_ORDER, 530);
    }

    /// @dev The worst case of cancelBid: the last bid of a full order.
    function test_Gas_CancelBid_LastOfFullOrder() external {
        market.cancelBid(FULL_ORDER_OWN_LAST);
    }

    function test_Gas_AcceptBid() external {
        market.acceptBid(ACCEPT_ORDER, rival, 500);
    }

    function test_Gas_Finalize() external {
        market.finalize(FINALIZE_ORDER);
    }

    function test_Gas_Deposit() external {
        market.deposit(FIRST_LEASE, 1e6);
    }

    function test_Gas_Withdraw_1Lease() external {
        market.withdraw(leaseIds(1));
    }

    function test_Gas_Withdraw_10Leases() external {
        market.withdraw(leaseIds(10));
    }

    function test_Gas_Withdraw_100Leases() external {
        market.withdraw(leaseIds(100));
    }

    function test_Gas_Withdraw_500Leases() external {
        market.withdraw(leaseIds(500));
    }

    /// @dev First bids on orders with a rival's bid, as test_Gas_PlaceBid_First, in one call.
    function test_Gas_PlaceBids_1Order() external {
        (uint256[] memory orderIds, uint256[] memory prices) = batchBids(1);
        market.placeBids(orderIds, prices);
    }

    function test_Gas_PlaceBids_10Orders() external {
        (uint256[] memory orderIds, uint256[] memory prices) = batchBids(10);
        market.placeBids(orderIds, prices);
    }

    function test_Gas_PlaceBids_100Orders() external {
        (uint256[] memory orderIds, uint256[] memory prices) = batchBids(100);
        market.placeBids(orderIds, prices);
    }

    /// @dev Batch views, read by eth_call: what a call of `MAX_BATCH_READ` ids costs is about 50x.
    function test_Gas_GetLeases_10Leases() external view {
        market.getLeases(leaseIds(10));
    }

    function test_Gas_GetOrders_10Orders() external view {
        market.getOrders(leaseIds(10));
    }

    function test_Gas_GetBidsOf_10Orders() external view {
        market.getBidsOf(leaseIds(10), address(this));
    }

    function test_Gas_Close() external {
        market.close(CLOSE_LEASE);
    }

    /// @dev The tenant closes; the token refuses the provider, whose payout is credited.
    function test_Gas_Close_PayoutDeferred() external {
        blacklistMarket.close(DEFERRED_CLOSE_LEASE);
    }

    function test_Gas_Claim() external {
        blacklistMarket.claim(address(this));
    }

    /// @dev createOrder, placeBid, acceptBid, withdraw after an hour, close after another.
    function test_Gas_FullLifecycle() external {
        vm.prank(tenant);
        uint256 id = market.createOrder(resources(), 1000, 1 hours, 1000 * 1 days, MANIFEST_1KIB);
        market.placeBid(id, 500);
        vm.prank(tenant);
        market.acceptBid(id, address(this), 500);
        vm.warp(block.timestamp + 1 hours);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        market.withdraw(ids);
        vm.warp(block.timestamp + 1 hours);
        market.close(id);
    }

    function resources() internal pure returns (Resources memory) {
        return
            Resources(keccak256("NVIDIA-H100-80GB-HBM3"), 8, 81_559, 96_000, 1_048_576, 2_097_152);
    }

    function createOrderAsTenant(uint256 biddingDuration) internal returns (uint256) {
        vm.prank(tenant);
        return market.createOrder(resources(), 1000, biddingDuration, 1000 * 1 days, MANIFEST_1KIB);
    }

    function bidAsRival(uint256 orderId, uint256 price) internal {
        vm.prank(rival);
        market.placeBid(orderId, price);
    }

    /// @dev The snapshot counts the test's own work too: the lists are built in a bare loop.
    function leaseIds(uint256 count) internal pure returns (uint256[] memory list) {
        list = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            unchecked {
                list[i] = FIRST_LEASE + i;
            }
        }
    }

    function batchBids(uint256 count)
        internal
        pure
        returns (uint256[] memory orderIds, uint256[] memory prices)
    {
        orderIds = new uint256[](count);
        prices = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            unchecked {
                orderIds[i] = FIRST_BATCH_BID_ORDER + i;
                prices[i] = 800;
            }
        }
    }

    function requireId(uint256 id, uint256 expected) internal pure {
        require(id == expected, "gas fixture: order ids moved; update the constants");
    }
}
