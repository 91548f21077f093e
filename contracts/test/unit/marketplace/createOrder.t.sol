// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {OrderStatus, OrderView, Resources} from "../../../src/types/DataTypes.sol";
import {Base} from "../../Base.t.sol";

contract CreateOrder_Unit_Test is Base {
    function test_RevertWhen_Paused() external {
        vm.prank(owner);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        createOrder();
    }

    function test_RevertWhen_NoCpu() external {
        Resources memory resources = h100Resources();
        resources.cpuMillicores = 0;
        expectCreateRevert(
            resources, abi.encodeWithSelector(Errors.Marketplace_InvalidResources.selector)
        );
    }

    function test_RevertWhen_NoMemory() external {
        Resources memory resources = h100Resources();
        resources.memoryMiB = 0;
        expectCreateRevert(
            resources, abi.encodeWithSelector(Errors.Marketplace_InvalidResources.selector)
        );
    }

    function test_RevertWhen_GpusWithoutModel() external {
        Resources memory resources = h100Resources();
        resources.gpuModel = bytes32(0);
        expectCreateRevert(
            resources, abi.encodeWithSelector(Errors.Marketplace_InvalidResources.selector)
        );
    }

    function test_WhenCpuOnly() external {
        Resources memory resources = h100Resources();
        resources.gpuModel = bytes32(0);
        resources.gpuCount = 0;
        vm.prank(tenant);
        uint256 orderId =
            market.createOrder(resources, MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
        assertEq(market.getOrder(orderId).resources.gpuCount, 0, "gpu count");
    }

    function test_RevertWhen_MaxPriceZero() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_InvalidMaxPrice.selector, 0));
        vm.prank(tenant);
        market.createOrder(h100Resources(), 0, BIDDING_DURATION, DEPOSIT, manifest);
    }

    function test_RevertWhen_MaxPriceAbove96Bits() external {
        uint256 price = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_InvalidMaxPrice.selector, price));
        vm.prank(tenant);
        market.createOrder(h100Resources(), price, BIDDING_DURATION, DEPOSIT, manifest);
    }

    function test_RevertWhen_BiddingDurationZero() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_InvalidBiddingDuration.selector, 0, market.MAX_BIDDING_DURATION()
            )
        );
        vm.prank(tenant);
        market.createOrder(h100Resources(), MAX_PRICE, 0, DEPOSIT, manifest);
    }

    function test_RevertWhen_BiddingDurationAboveMax() external {
        uint256 duration = market.MAX_BIDDING_DURATION() + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_InvalidBiddingDuration.selector, duration, duration - 1
            )
        );
        vm.prank(tenant);
        market.createOrder(h100Resources(), MAX_PRICE, duration, DEPOSIT, manifest);
    }

    function test_RevertWhen_DepositBelowMinimumRun() external {
        uint256 minimum = MAX_PRICE * MIN_RUN_SECONDS;
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_DepositTooSmall.selector, minimum - 1, minimum
            )
        );
        createOrder(minimum - 1);
    }

    function test_WhenDepositExactlyMinimumRun() external {
        uint256 orderId = createOrder(MAX_PRICE * MIN_RUN_SECONDS);
        assertEq(market.getOrder(orderId).escrow, MAX_PRICE * MIN_RUN_SECONDS, "escrow");
    }

    function test_RevertWhen_DepositZero() external {
        vm.prank(owner);
        market.setMinRunSeconds(0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_DepositTooSmall.selector, 0, 0));
        createOrder(0);
    }

    function test_RevertWhen_DepositAbove128Bits() external {
        uint256 deposit = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_EscrowOverflow.selector, deposit));
        createOrder(deposit);
    }

    function test_RevertWhen_ManifestEmpty() external {
        vm.expectRevert(Errors.Marketplace_EmptyManifest.selector);
        vm.prank(tenant);
        market.createOrder(h100Resources(), MAX_PRICE, BIDDING_DURATION, DEPOSIT, "");
    }

    function test_RevertWhen_NotApproved() external {
        vm.prank(tenant);
        token.approve(address(market), DEPOSIT - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector,
                address(market),
                DEPOSIT - 1,
                DEPOSIT
            )
        );
        createOrder();
    }

    function test_WhenValid() external {
        uint256 deadline = block.timestamp + BIDDING_DURATION;
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.OrderCreated(
            1,
            tenant,
            h100Resources().gpuModel,
            h100Resources(),
            MAX_PRICE,
            deadline,
            DEPOSIT,
            keccak256(manifest),
            manifest
        );
        uint256 orderId = createOrder();

        assertEq(orderId, 1, "first id");
        assertEq(market.lastOrderId(), 1, "last id");
        OrderView memory order = market.getOrder(orderId);
        assertEq(order.tenant, tenant, "tenant");
        assertTrue(order.status == OrderStatus.Open, "open");
        assertEq(order.biddingDeadline, deadline, "deadline");
        assertEq(order.maxPricePerSecond, MAX_PRICE, "max price");
        assertEq(order.manifestHash, keccak256(manifest), "manifest hash");
        assertEq(order.resources.gpuModel, keccak256("NVIDIA-H100-80GB-HBM3"), "gpu model");
        assertEq(order.resources.storageMiB, h100Resources().storageMiB, "storage");
        assertEq(order.escrow, DEPOSIT, "escrow");
        assertEq(order.bestBidder, address(0), "no bid");
        assertEq(token.balanceOf(address(market)), DEPOSIT, "marketplace balance");
        assertEq(token.balanceOf(tenant), TENANT_FUNDS - DEPOSIT, "tenant balance");
        assertEq(createOrder(), 2, "next id");
    }

    function testFuzz_CreateOrder(uint256 maxPrice, uint256 duration, uint256 deposit) external {
        maxPrice = bound(maxPrice, 1, 1e9);
        duration = bound(duration, 1, market.MAX_BIDDING_DURATION());
        deposit = bound(deposit, maxPrice * MIN_RUN_SECONDS, TENANT_FUNDS);
        vm.prank(tenant);
        uint256 orderId = market.createOrder(h100Resources(), maxPrice, duration, deposit, manifest);
        OrderView memory order = market.getOrder(orderId);
        assertEq(order.escrow, deposit, "escrow");
        assertEq(order.maxPricePerSecond, maxPrice, "max price");
        assertEq(order.biddingDeadline, block.timestamp + duration, "deadline");
        assertEq(token.balanceOf(address(market)), deposit, "pulled");
    }

    function expectCreateRevert(Resources memory resources, bytes memory revertData) private {
        vm.expectRevert(revertData);
        vm.prank(tenant);
        market.createOrder(resources, MAX_PRICE, BIDDING_DURATION, DEPOSIT, manifest);
    }
}
