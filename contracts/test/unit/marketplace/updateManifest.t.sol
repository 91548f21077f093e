// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {Base} from "../../Base.t.sol";

contract UpdateManifest_Unit_Test is Base {
    bytes internal constant NEW_MANIFEST = "services:\n  - name: llm\n    replicas: 2\n";
    uint256 internal leaseId;

    function setUp() public override {
        super.setUp();
        leaseId = createLease(alice, 500);
    }

    function test_RevertGiven_NotLeased() external {
        uint256 orderId = createOrder();
        vm.expectRevert(abi.encodeWithSelector(Errors.Marketplace_LeaseNotActive.selector, orderId));
        vm.prank(tenant);
        market.updateManifest(orderId, NEW_MANIFEST);
    }

    function test_RevertGiven_Closed() external {
        vm.prank(tenant);
        market.close(leaseId);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_LeaseClosed.selector, leaseId, block.timestamp
            )
        );
        vm.prank(tenant);
        market.updateManifest(leaseId, NEW_MANIFEST);
    }

    function test_RevertWhen_CallerNotTenant() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Marketplace_CallerNotTenant.selector, leaseId, alice, tenant
            )
        );
        vm.prank(alice);
        market.updateManifest(leaseId, NEW_MANIFEST);
    }

    function test_RevertWhen_ManifestEmpty() external {
        vm.expectRevert(Errors.Marketplace_EmptyManifest.selector);
        vm.prank(tenant);
        market.updateManifest(leaseId, "");
    }

    function test_WhenValid() external {
        vm.expectEmit(true, true, true, true, address(market));
        emit IMarketplace.ManifestUpdated(leaseId, tenant, keccak256(NEW_MANIFEST), NEW_MANIFEST);
        vm.prank(tenant);
        market.updateManifest(leaseId, NEW_MANIFEST);
        assertEq(market.getOrder(leaseId).manifestHash, keccak256(NEW_MANIFEST), "new hash");
    }
}
