// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ProviderRegistry} from "../../../src/ProviderRegistry.sol";
import {IProviderRegistry} from "../../../src/interfaces/IProviderRegistry.sol";
import {Errors} from "../../../src/libraries/Errors.sol";
import {Attribute, ProviderInfo} from "../../../src/types/DataTypes.sol";
import {Test} from "../../utils/Test.sol";

contract ProviderRegistry_Unit_Test is Test {
    ProviderRegistry internal registry;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    string internal constant URL = "https://gpu.alice.example";

    function setUp() external {
        registry = new ProviderRegistry();
    }

    function test_Register() external {
        Attribute[] memory attributes = twoAttributes();
        vm.expectEmit(true, true, true, true, address(registry));
        emit IProviderRegistry.ProviderRegistered(alice, URL, attributes);
        vm.prank(alice);
        registry.register(URL, attributes);

        assertTrue(registry.isRegistered(alice), "registered");
        assertEq(registry.providerCount(), 1, "count");
        ProviderInfo memory info = registry.getProvider(alice);
        assertEq(info.provider, alice, "address");
        assertEq(info.gatewayUrl, URL, "url");
        assertEq(info.attributes.length, 2, "attributes");
        assertEq(info.attributes[1].key, "gpu.models", "key");
        assertEq(info.attributes[1].value, "NVIDIA-H100-80GB-HBM3", "value");
        assertEq(info.registeredAt, block.timestamp, "registered at");
    }

    function test_RevertGiven_AlreadyRegistered() external {
        register(alice);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_AlreadyRegistered.selector, alice)
        );
        register(alice);
    }

    function test_RevertWhen_UrlEmpty() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_InvalidGatewayUrl.selector, "")
        );
        vm.prank(alice);
        registry.register("", new Attribute[](0));
    }

    function test_RevertWhen_UrlTooLong() external {
        string memory url = string(new bytes(257));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_InvalidGatewayUrl.selector, url)
        );
        vm.prank(alice);
        registry.register(url, new Attribute[](0));
    }

    function test_RevertWhen_TooManyAttributes() external {
        Attribute[] memory attributes = new Attribute[](33);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_TooManyAttributes.selector, 33, 32)
        );
        vm.prank(alice);
        registry.register(URL, attributes);
    }

    function test_RevertWhen_KeyEmpty() external {
        Attribute[] memory attributes = new Attribute[](1);
        attributes[0] = Attribute("", "x");
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_InvalidAttribute.selector, "")
        );
        vm.prank(alice);
        registry.register(URL, attributes);
    }

    function test_RevertWhen_KeyTooLong() external {
        Attribute[] memory attributes = new Attribute[](1);
        attributes[0] = Attribute(string(new bytes(65)), "x");
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ProviderRegistry_InvalidAttribute.selector, attributes[0].key
            )
        );
        vm.prank(alice);
        registry.register(URL, attributes);
    }

    function test_RevertWhen_ValueTooLong() external {
        Attribute[] memory attributes = new Attribute[](1);
        attributes[0] = Attribute("region", string(new bytes(257)));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_InvalidAttribute.selector, "region")
        );
        vm.prank(alice);
        registry.register(URL, attributes);
    }

    function test_RevertWhen_DuplicateKey() external {
        Attribute[] memory attributes = new Attribute[](2);
        attributes[0] = Attribute("region", "eu");
        attributes[1] = Attribute("region", "us");
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_DuplicateAttribute.selector, "region")
        );
        vm.prank(alice);
        registry.register(URL, attributes);
    }

    function test_RevertWhen_UpdateNotRegistered() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_NotRegistered.selector, alice)
        );
        vm.prank(alice);
        registry.update(URL, new Attribute[](0));
    }

    function test_Update() external {
        register(alice);
        Attribute[] memory attributes = new Attribute[](1);
        attributes[0] = Attribute("tier", "gold");
        vm.warp(block.timestamp + 1 days);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IProviderRegistry.ProviderUpdated(alice, "https://new.example", attributes);
        vm.prank(alice);
        registry.update("https://new.example", attributes);
        ProviderInfo memory info = registry.getProvider(alice);
        assertEq(info.gatewayUrl, "https://new.example", "url");
        assertEq(info.attributes.length, 1, "old attributes dropped");
        assertEq(info.attributes[0].value, "gold", "new attribute");
        assertEq(info.updatedAt, block.timestamp, "updated at");
        assertLt(info.registeredAt, info.updatedAt, "registered earlier");
    }

    function test_RevertWhen_DeregisterNotRegistered() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_NotRegistered.selector, alice)
        );
        vm.prank(alice);
        registry.deregister();
    }

    function test_Deregister() external {
        register(alice);
        register(bob);
        register(carol);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IProviderRegistry.ProviderDeregistered(alice);
        vm.prank(alice);
        registry.deregister();

        assertFalse(registry.isRegistered(alice), "gone");
        assertEq(registry.providerCount(), 2, "count");
        ProviderInfo[] memory page = registry.getProviders(0, 10);
        assertEq(page[0].provider, carol, "the last took alice's place");
        assertEq(page[1].provider, bob, "bob stays");
        vm.expectRevert(
            abi.encodeWithSelector(Errors.ProviderRegistry_NotRegistered.selector, alice)
        );
        registry.getProvider(alice);

        register(alice);
        assertEq(registry.getProvider(alice).attributes.length, 2, "can come back");
    }

    function test_GetProvidersPages() external {
        register(alice);
        register(bob);
        register(carol);
        assertEq(registry.getProviders(0, 2).length, 2, "first page");
        ProviderInfo[] memory second = registry.getProviders(2, 2);
        assertEq(second.length, 1, "second page");
        assertEq(second[0].provider, carol, "carol");
        assertEq(registry.getProviders(3, 2).length, 0, "past the end");
        assertEq(registry.getProviders(1, type(uint256).max).length, 2, "no overflow");
    }

    function twoAttributes() internal pure returns (Attribute[] memory attributes) {
        attributes = new Attribute[](2);
        attributes[0] = Attribute("region", "eu-west");
        attributes[1] = Attribute("gpu.models", "NVIDIA-H100-80GB-HBM3");
    }

    function register(address provider) internal {
        vm.prank(provider);
        registry.register(URL, twoAttributes());
    }
}
