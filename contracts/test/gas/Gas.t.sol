// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Marketplace} from "../../src/Marketplace.sol";
import {ProviderRegistry} from "../../src/ProviderRegistry.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {Attribute, Resources} from "../../src/types/DataTypes.sol";
import {Test} from "../utils/Test.sol";
import {MANIFEST_1KIB} from "./Manifest1KiB.sol";

/// @notice One marketplace call per test, so that `.gas-snapshot` holds the gas of each call
/// (what a transaction executes, without the 21,000 base cost and calldata, as in Sablier's
/// published benchmarks). This contract itself is the caller, so no cheatcode runs around the
/// measured call; everything else is prepared in setUp, whose storage reads are cold again in the
/// test, and the marketplace is an immutable so that reaching it reads no storage of this
/// contract. Steady state: the provider and the fee pot already hold tokens (after a first
/// withdrawal), the protocol fee is 1%, the token is OpenZeppelin's ERC-20.
contract Gas_Test is Test {
    uint256 internal constant LEASES = 10;
    /// @dev Lease ids 1..10 are this contract's leases; the named orders follow.
    uint256 internal constant FIRST_LEASE = 1;
    uint256 internal constant CLOSE_LEASE = 11;
    uint256 internal constant FIRST_BID_ORDER = 12;
    uint256 internal constant LOWER_BID_ORDER = 13;
    uint256 internal constant ACCEPT_ORDER = 14;
    uint256 internal constant FINALIZE_ORDER = 15;

    Marketplace internal immutable market;
    MockERC20 internal immutable token;
    ProviderRegistry internal immutable registry;
    address internal immutable tenant = makeAddr("tenant");
    address internal immutable rival = makeAddr("rival provider");

    constructor() {
        token = new MockERC20("Test USD", "TUSD", 6);
        registry = new ProviderRegistry();
        market = new Marketplace(
            makeAddr("owner"), IERC20(address(token)), registry, makeAddr("treasury"), 100, 1 hours
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
            market.acceptBid(id, address(this));
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

        // A first withdrawal, then an hour of streaming.
        vm.warp(block.timestamp + 1 hours);
        market.withdraw(leaseIds(LEASES));
        vm.warp(block.timestamp + 1 hours);
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

    function test_Gas_AcceptBid() external {
        market.acceptBid(ACCEPT_ORDER, rival);
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

    function test_Gas_Close() external {
        market.close(CLOSE_LEASE);
    }

    /// @dev createOrder, placeBid, acceptBid, withdraw after an hour, close after another.
    function test_Gas_FullLifecycle() external {
        vm.prank(tenant);
        uint256 id = market.createOrder(resources(), 1000, 1 hours, 1000 * 1 days, MANIFEST_1KIB);
        market.placeBid(id, 500);
        vm.prank(tenant);
        market.acceptBid(id, address(this));
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

    function leaseIds(uint256 count) internal pure returns (uint256[] memory list) {
        list = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            list[i] = FIRST_LEASE + i;
        }
    }

    function requireId(uint256 id, uint256 expected) internal pure {
        require(id == expected, "gas fixture: order ids moved; update the constants");
    }
}
