// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Marketplace} from "../src/Marketplace.sol";
import {ProviderRegistry} from "../src/ProviderRegistry.sol";
import {IProviderRegistry} from "../src/interfaces/IProviderRegistry.sol";
import {Attribute, Resources} from "../src/types/DataTypes.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {BlacklistToken} from "./mocks/BlacklistToken.sol";
import {Test} from "./utils/Test.sol";

/// @notice The fixture every marketplace suite starts from: a 6-decimal token (OpenZeppelin's
/// ERC-20 that can also blacklist accounts, as USDC can), the registry with three providers, the
/// marketplace (1% fee, one-hour minimum run) and a funded tenant.
abstract contract Base is Test {
    uint16 internal constant FEE_BPS = 100;
    uint32 internal constant MIN_RUN_SECONDS = 1 hours;
    /// @dev 1,000 base units per second: $3.60 an hour with 6 decimals.
    uint256 internal constant MAX_PRICE = 1000;
    uint256 internal constant BIDDING_DURATION = 10 minutes;
    uint256 internal constant DEPOSIT = MAX_PRICE * 1 days;
    uint256 internal constant TENANT_FUNDS = 1e15;

    BlacklistToken internal token;
    ProviderRegistry internal registry;
    Marketplace internal market;

    address internal owner = makeAddr("owner");
    address internal treasury = makeAddr("treasury");
    address internal tenant = makeAddr("tenant");
    address internal alice = makeAddr("alice (provider)");
    address internal bob = makeAddr("bob (provider)");
    address internal carol = makeAddr("carol (provider)");
    address internal stranger = makeAddr("stranger");

    bytes internal manifest =
        bytes("services:\n  - name: llm\n    image: vllm/vllm-openai:v0.6.3\n");

    function setUp() public virtual {
        vm.warp(1_750_000_000);
        token = new BlacklistToken();
        registry = new ProviderRegistry();
        market = deployMarketplace(IERC20(address(token)));
        registerProvider(alice);
        registerProvider(bob);
        registerProvider(carol);
        fund(tenant, TENANT_FUNDS);
    }

    function deployMarketplace(IERC20 paymentToken) internal returns (Marketplace) {
        return new Marketplace(
            owner,
            paymentToken,
            IProviderRegistry(address(registry)),
            treasury,
            FEE_BPS,
            MIN_RUN_SECONDS
        );
    }

    function registerProvider(address provider) internal {
        Attribute[] memory attributes = new Attribute[](1);
        attributes[0] = Attribute("region", "eu-west");
        vm.prank(provider);
        registry.register("https://gateway.example", attributes);
    }

    /// @dev Mints to `account` and approves the marketplace for all of it.
    function fund(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.prank(account);
        token.approve(address(market), type(uint256).max);
    }

    function h100Resources() internal pure returns (Resources memory) {
        return Resources({
            gpuModel: keccak256("NVIDIA-H100-80GB-HBM3"),
            gpuCount: 8,
            gpuMemoryMiB: 81_559,
            cpuMillicores: 96_000,
            memoryMiB: 1_048_576,
            storageMiB: 2_097_152
        });
    }

    function createOrder() internal returns (uint256) {
        return createOrder(DEPOSIT);
    }

    function createOrder(uint256 deposit) internal returns (uint256 orderId) {
        vm.prank(tenant);
        orderId =
            market.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, deposit, manifest);
    }

    function bid(address provider, uint256 orderId, uint256 price) internal {
        vm.prank(provider);
        market.placeBid(orderId, price);
    }

    /// @dev An order leased to `provider` at `price`, now; returns the lease id.
    function createLease(address provider, uint256 price) internal returns (uint256 leaseId) {
        leaseId = createOrder();
        bid(provider, leaseId, price);
        vm.prank(tenant);
        market.acceptBid(leaseId, provider, price);
    }

    /// @dev `count` more registered providers, "bidder 0" to "bidder <count - 1>".
    function registerBidders(uint256 count) internal returns (address[] memory list) {
        list = new address[](count);
        for (uint256 i; i < count; ++i) {
            list[i] = makeAddr(string.concat("bidder ", vm.toString(i)));
            registerProvider(list[i]);
        }
    }

    /// @dev Bids of `bidders` on `orderId` at `firstPrice`, `firstPrice + step`, and so on.
    function placeBids(uint256 orderId, address[] memory bidders, uint256 firstPrice, uint256 step)
        internal
    {
        for (uint256 i; i < bidders.length; ++i) {
            bid(bidders[i], orderId, firstPrice + i * step);
        }
    }

    function blacklist(address account) internal {
        token.setBlacklisted(account, true);
    }

    function unblacklist(address account) internal {
        token.setBlacklisted(account, false);
    }

    function ids(uint256 id) internal pure returns (uint256[] memory list) {
        list = new uint256[](1);
        list[0] = id;
    }

    function skip(uint256 seconds_) internal {
        vm.warp(block.timestamp + seconds_);
    }

    function feeOf(uint256 amount) internal pure returns (uint256) {
        return amount * FEE_BPS / 10_000;
    }
}
