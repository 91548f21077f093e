// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MockERC20} from "../../src/mocks/MockERC20.sol";

/// @notice A 6-decimal token that blacklists accounts as USDC and USDT can: a transfer by, from or
/// to a blacklisted account reverts, or, with `returnsFalse` set, returns false without moving
/// anything (as some older tokens do). With no account blacklisted it is OpenZeppelin's ERC-20.
contract BlacklistToken is MockERC20 {
    mapping(address account => bool) public blacklisted;
    bool public returnsFalse;

    /// @notice A transfer by, from or to a blacklisted account.
    error BlacklistToken_Blacklisted(address account);

    constructor() MockERC20("Blacklisting USD", "BUSD", 6) {}

    function setBlacklisted(address account, bool blacklisted_) external {
        blacklisted[account] = blacklisted_;
    }

    function setReturnsFalse(bool returnsFalse_) external {
        returnsFalse = returnsFalse_;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        address blocked = _blocked(msg.sender, msg.sender, to);
        if (blocked != address(0)) return _refuse(blocked);
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        address blocked = _blocked(msg.sender, from, to);
        if (blocked != address(0)) return _refuse(blocked);
        return super.transferFrom(from, to, value);
    }

    function _blocked(address caller, address from, address to) private view returns (address) {
        if (blacklisted[caller]) return caller;
        if (blacklisted[from]) return from;
        if (blacklisted[to]) return to;
        return address(0);
    }

    function _refuse(address account) private view returns (bool) {
        if (returnsFalse) return false;
        revert BlacklistToken_Blacklisted(account);
    }
}
