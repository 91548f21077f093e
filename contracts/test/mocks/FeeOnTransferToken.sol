// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A token that burns 1% of every transfer, so the receiver gets less than was sent; the
/// fee can be switched off and on (as an upgradable token could) to reach later deposits.
contract FeeOnTransferToken is ERC20 {
    bool public charging = true;

    constructor() ERC20("Fee on transfer", "FOT") {}

    function setCharging(bool charging_) external {
        charging = charging_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (!charging || from == address(0) || to == address(0)) {
            return super._update(from, to, value);
        }
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
