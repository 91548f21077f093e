// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockERC20
/// @notice A payment token for tests and the local demo only: anyone can mint.
contract MockERC20 is ERC20 {
    uint8 private immutable _decimals;

    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    /// @param decimals_ The number of decimals (6 like USDC, 18 like most tokens).
    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice The number of decimals given at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` to `to`; unrestricted, for tests and the demo.
    /// @param to The receiver.
    /// @param amount The amount, in base units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
