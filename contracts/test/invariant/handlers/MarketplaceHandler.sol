// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Marketplace} from "../../../src/Marketplace.sol";
import {IMarketplace} from "../../../src/interfaces/IMarketplace.sol";
import {LeaseView, OrderStatus, OrderView, Resources} from "../../../src/types/DataTypes.sol";
import {BlacklistToken} from "../../mocks/BlacklistToken.sol";
import {Test} from "../../utils/Test.sol";
import {Vm} from "../../utils/Vm.sol";

/// @notice Drives random sequences of every marketplace call by three tenants and three providers
/// (and, to fill orders up to `MAX_BIDS_PER_ORDER`, as many more bidders), while the token
/// blacklists and clears tenants and providers, with inputs bounded to calls that should succeed
/// (the invariant run fails on any revert; an action with nothing to act on is discarded with
/// `vm.assume`, so forge's metrics show the calls that did something as calls minus discards),
/// and keeps an independent record (the "ghost" state) of what should be true: money in and out,
/// what each lease streamed, the credits of refused payments, and a model of the live bids.
contract MarketplaceHandler is Test {
    /// @dev The three providers that bid, lower, cancel and withdraw; the others only fill orders.
    uint256 public constant REGULAR_PROVIDERS = 3;

    Marketplace public immutable market;
    BlacklistToken public immutable token;
    address public immutable owner;
    address[3] public tenants;
    /// @dev The regular providers first, then the fillers.
    address[] public providers;
    address public immutable stranger;

    /*//////////////////////////////////////////////////////////////
                               GHOST STATE
    //////////////////////////////////////////////////////////////*/

    uint256[] public orderIds;
    /// @dev Tokens that entered and left the marketplace, as the callers' balances saw them.
    uint256 public totalIn;
    uint256 public totalOut;
    /// @dev Refused payments credited, and credits claimed, as the balances and credits saw them.
    uint256 public totalCredited;
    uint256 public totalClaimed;

    struct LeaseRecord {
        uint256 deposited; // initial deposit plus top-ups
        uint256 streamed; // paid out to the provider, fee included
        uint256 payout; // what the provider received
        uint256 fees;
        uint256 refund;
        uint256 rate;
        uint256 startedAt;
        uint256 closedAt;
        uint256 streamedAfterClose;
    }

    mapping(uint256 id => LeaseRecord) private _records;

    /// @dev The model of live bids: price and a sequence number of the placing or lowering.
    mapping(uint256 id => mapping(address provider => uint256)) public modelPrice;
    mapping(uint256 id => mapping(address provider => uint256)) public modelSequence;
    mapping(uint256 id => uint256) public modelCount;
    uint256 private _sequence;
    /// @dev New bids that evicted the worst bid of a full order.
    uint256 public evictions;

    constructor(Marketplace market_, BlacklistToken token_, address owner_) {
        market = market_;
        token = token_;
        owner = owner_;
        stranger = makeAddr("stranger");
        for (uint256 i; i < 3; ++i) {
            tenants[i] = makeAddr(string.concat("tenant", vm.toString(i)));
            fund(tenants[i]);
        }
        for (uint256 i; i < REGULAR_PROVIDERS; ++i) {
            providers.push(makeAddr(string.concat("provider", vm.toString(i))));
        }
        for (uint256 i; i < market.MAX_BIDS_PER_ORDER(); ++i) {
            providers.push(makeAddr(string.concat("filler", vm.toString(i))));
        }
        fund(stranger);
    }

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    function createOrder(uint256 tenantSeed, uint256 maxPrice, uint256 duration, uint256 escrow)
        external
    {
        address tenant = tenants[tenantSeed % 3];
        vm.assume(!market.paused() && !token.blacklisted(tenant));
        maxPrice = bound(maxPrice, 1, 1e6);
        duration = bound(duration, 1 hours, 3 days);
        escrow = bound(escrow, maxPrice * market.minRunSeconds(), maxPrice * 30 days);
        Resources memory resources =
            Resources(keccak256("NVIDIA-H100-80GB-HBM3"), 1, 81_559, 8000, 65_536, 102_400);

        uint256 before = token.balanceOf(tenant);
        vm.prank(tenant);
        uint256 id = market.createOrder(resources, maxPrice, duration, escrow, "services: []\n");
        totalIn += before - token.balanceOf(tenant);
        orderIds.push(id);
        _records[id].deposited = escrow;
    }

    /// @dev A regular provider places or lowers its bid; on a full order a new bid is below the
    /// worst, which the model evicts as the contract does.
    function placeBid(uint256 orderSeed, uint256 providerSeed, uint256 price) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(!(!found || market.paused() || block.timestamp >= order.biddingDeadline));
        address provider = providers[providerSeed % REGULAR_PROVIDERS];
        uint256 current = modelPrice[id][provider];
        bool evicts = current == 0 && modelCount[id] == market.MAX_BIDS_PER_ORDER();
        (address worst, uint256 worstPrice) = modelWorst(id);
        uint256 limit = current != 0 ? current : (evicts ? worstPrice : order.maxPricePerSecond + 1);
        vm.assume(limit > 1); // cannot go lower
        uint256 upper = limit - 1;
        // Half the bids anywhere below the limit, half within 3 of it, so that prices tie.
        price = price % 2 == 0
            ? bound(price, 1, upper)
            : upper - (price >> 1) % (upper < 3 ? upper : 3);
        vm.prank(provider);
        market.placeBid(id, price);
        if (evicts) {
            modelPrice[id][worst] = 0;
            ++evictions;
        } else if (current == 0) {
            ++modelCount[id];
        }
        modelPrice[id][provider] = price;
        modelSequence[id][provider] = ++_sequence;
    }

    /// @dev A regular provider bids on four orders in one `placeBids`, whatever their state
    /// (closed, leased, cancelled, past the deadline, full, already bid on): the model decides
    /// which bids placeBid would take, applies those in turn, and the call must place as many.
    function placeBids(
        uint256 providerSeed,
        uint256[4] calldata orderSeeds,
        uint256[4] calldata priceSeeds
    ) external {
        vm.assume(!market.paused() && orderIds.length != 0);
        address provider = providers[providerSeed % REGULAR_PROVIDERS];
        uint256[] memory ids = new uint256[](4);
        uint256[] memory prices = new uint256[](4);
        uint256 expected;
        for (uint256 i; i < 4; ++i) {
            ids[i] = orderIds[orderSeeds[i] % orderIds.length];
            OrderView memory order = market.getOrder(ids[i]);
            uint256 current = modelPrice[ids[i]][provider];
            (, uint256 worstPrice) = modelWorst(ids[i]);
            // Half the prices anywhere up to just above the maximum, half at the provider's live
            // bid or the worst bid, or one below: the edges of the rules.
            uint256 edge = current != 0 ? current : worstPrice;
            prices[i] = priceSeeds[i] % 2 == 0 || edge < 2
                ? bound(priceSeeds[i], 1, order.maxPricePerSecond + 1)
                : edge - (priceSeeds[i] >> 1) % 2;
            if (modelTakesBid(ids[i], order, provider, prices[i])) ++expected;
        }
        vm.prank(provider);
        assertEq(market.placeBids(ids, prices), expected, "placeBids placed what placeBid would");
    }

    /// @dev Whether placeBid would take the bid; if so, applies it to the model.
    function modelTakesBid(uint256 id, OrderView memory order, address provider, uint256 price)
        private
        returns (bool)
    {
        if (
            order.status != OrderStatus.Open || block.timestamp >= order.biddingDeadline
                || price > order.maxPricePerSecond
        ) return false;
        uint256 current = modelPrice[id][provider];
        if (current != 0 && price >= current) return false;
        bool evicts = current == 0 && modelCount[id] == market.MAX_BIDS_PER_ORDER();
        (address worst, uint256 worstPrice) = modelWorst(id);
        if (evicts && price >= worstPrice) return false;
        if (evicts) {
            modelPrice[id][worst] = 0;
            ++evictions;
        } else if (current == 0) {
            ++modelCount[id];
        }
        modelPrice[id][provider] = price;
        modelSequence[id][provider] = ++_sequence;
        return true;
    }

    /// @dev The fillers bid on an order until it holds `MAX_BIDS_PER_ORDER` live bids, at prices
    /// in the upper half up to the maximum, so that the regular providers' bids can evict them.
    function fillBids(uint256 orderSeed, uint256 priceSeed) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(!(!found || market.paused() || block.timestamp >= order.biddingDeadline));
        uint256 max = market.MAX_BIDS_PER_ORDER();
        vm.assume(modelCount[id] < max);
        uint256 maxPrice = order.maxPricePerSecond;
        for (uint256 i = REGULAR_PROVIDERS; i < providers.length && modelCount[id] < max; ++i) {
            address filler = providers[i];
            if (modelPrice[id][filler] != 0) continue;
            uint256 price =
                bound(uint256(keccak256(abi.encode(priceSeed, i))), maxPrice / 2, maxPrice);
            if (price == 0) price = 1;
            vm.prank(filler);
            market.placeBid(id, price);
            modelPrice[id][filler] = price;
            modelSequence[id][filler] = ++_sequence;
            ++modelCount[id];
        }
    }

    /// @dev Before the deadline only: from then on a bid stands.
    function cancelBid(uint256 orderSeed, uint256 providerSeed) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        address provider = providers[providerSeed % REGULAR_PROVIDERS];
        vm.assume(
            !(!found || modelPrice[id][provider] == 0 || block.timestamp >= order.biddingDeadline)
        );
        vm.prank(provider);
        market.cancelBid(id);
        modelPrice[id][provider] = 0;
        --modelCount[id];
    }

    /// @dev At the price the model holds, the tenant's limit.
    function acceptBid(uint256 orderSeed, uint256 providerSeed) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(found && !market.paused());
        // The first bidder from a seeded position, fillers included.
        address provider;
        for (uint256 i; i < providers.length && provider == address(0); ++i) {
            address candidate = providers[(providerSeed % providers.length + i) % providers.length];
            if (modelPrice[id][candidate] != 0) provider = candidate;
        }
        vm.assume(provider != address(0));
        vm.prank(order.tenant);
        market.acceptBid(id, provider, modelPrice[id][provider]);
        recordLeaseStart(id, modelPrice[id][provider]);
    }

    function finalize(uint256 orderSeed) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(!(!found || market.paused() || order.bestBidder == address(0)));
        if (block.timestamp < order.biddingDeadline) vm.warp(order.biddingDeadline);
        vm.prank(stranger);
        market.finalize(id);
        recordLeaseStart(id, modelPrice[id][order.bestBidder]);
    }

    function cancelOrder(uint256 orderSeed, bool byStranger) external {
        (bool found, uint256 id, OrderView memory order) = openOrder(orderSeed);
        vm.assume(found);
        byStranger = byStranger && block.timestamp >= order.biddingDeadline
            && order.bestBidder == address(0);
        (uint256 balanceBefore, uint256 creditBefore) = holdings(order.tenant);
        vm.prank(byStranger ? stranger : order.tenant);
        market.cancelOrder(id);
        (uint256 received, uint256 credited) = changes(order.tenant, balanceBefore, creditBefore);
        assertTrue(received == 0 || credited == 0, "paid or credited, not both");
        assertEq(credited != 0, token.blacklisted(order.tenant), "credited when refused");
        _records[id].refund = received + credited;
    }

    function deposit(uint256 leaseSeed, uint256 amount, bool byStranger) external {
        (bool found, uint256 id, LeaseView memory lease) = activeLease(leaseSeed);
        vm.assume(!(!found || lease.remaining == 0)); // an exhausted escrow takes no deposit
        amount = bound(amount, 1, 1e12);
        address funder = byStranger || token.blacklisted(lease.tenant) ? stranger : lease.tenant;
        uint256 before = token.balanceOf(funder);
        vm.prank(funder);
        market.deposit(id, amount);
        totalIn += before - token.balanceOf(funder);
        _records[id].deposited += amount;
    }

    /// @dev Withdraws a batch of a provider's leases, closed ones included (they are skipped).
    function withdraw(uint256 providerSeed, uint256 maxLeases) external {
        address provider = providers[providerSeed % REGULAR_PROVIDERS];
        maxLeases = bound(maxLeases, 1, 10);
        uint256[] memory batch = new uint256[](maxLeases);
        uint256 count;
        for (uint256 i = orderIds.length; i > 0 && count < maxLeases; --i) {
            uint256 id = orderIds[i - 1];
            if (market.getLease(id).provider == provider) batch[count++] = id;
        }
        vm.assume(count != 0);
        assembly ("memory-safe") {
            mstore(batch, count)
        }

        (uint256 balanceBefore, uint256 creditBefore) = holdings(provider);
        uint256 feesBefore = market.unclaimedFees();
        vm.recordLogs();
        vm.prank(provider);
        uint256 paid = market.withdraw(batch);
        (uint256 received, uint256 credited) = changes(provider, balanceBefore, creditBefore);
        assertEq(received + credited, paid, "withdraw returns what it paid or credited");
        assertEq(credited != 0, paid != 0 && token.blacklisted(provider), "credited when refused");

        // Attribute the batch to its leases from the events, and check them against the balances.
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 net;
        uint256 fees;
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter != address(market)
                    || logs[i].topics[0] != IMarketplace.Withdrawn.selector
            ) continue;
            uint256 id = uint256(logs[i].topics[1]);
            (uint256 amount, uint256 fee,) = abi.decode(logs[i].data, (uint256, uint256, uint256));
            LeaseRecord storage leaseRecord = _records[id];
            leaseRecord.streamed += amount;
            leaseRecord.payout += amount - fee;
            leaseRecord.fees += fee;
            if (leaseRecord.closedAt != 0) leaseRecord.streamedAfterClose += amount;
            net += amount - fee;
            fees += fee;
        }
        assertEq(net, paid, "the events add up to the payment");
        assertEq(market.unclaimedFees() - feesBefore, fees, "the events add up to the fees");
    }

    function close(uint256 leaseSeed, uint256 callerSeed) external {
        (bool found, uint256 id, LeaseView memory lease) = activeLease(leaseSeed);
        vm.assume(found);
        uint256 who = callerSeed % 3;
        // A stranger may close only an exhausted lease.
        if (who == 2 && lease.remaining != 0) who = 0;
        address caller = who == 0 ? lease.tenant : (who == 1 ? lease.provider : stranger);

        (uint256 tenantBalance, uint256 tenantCredit) = holdings(lease.tenant);
        (uint256 providerBalance, uint256 providerCredit) = holdings(lease.provider);
        uint256 feesBefore = market.unclaimedFees();
        vm.prank(caller);
        market.close(id);
        LeaseRecord storage leaseRecord = _records[id];
        // Each party is paid, or credited when the token refuses it, whatever the other's fate.
        (uint256 paid, uint256 credited) = changes(lease.provider, providerBalance, providerCredit);
        assertTrue(paid == 0 || credited == 0, "provider paid or credited, not both");
        if (credited != 0) assertTrue(token.blacklisted(lease.provider), "provider refused");
        uint256 payout = paid + credited;
        (paid, credited) = changes(lease.tenant, tenantBalance, tenantCredit);
        assertTrue(paid == 0 || credited == 0, "tenant paid or credited, not both");
        if (credited != 0) assertTrue(token.blacklisted(lease.tenant), "tenant refused");
        uint256 fee = market.unclaimedFees() - feesBefore;
        leaseRecord.payout += payout;
        leaseRecord.fees += fee;
        leaseRecord.streamed += payout + fee;
        leaseRecord.refund = paid + credited;
        leaseRecord.closedAt = block.timestamp;
    }

    /// @dev The token clears a blacklisted tenant or regular provider, or blacklists one, one time
    /// in four (blacklisted tenants order nothing, so long blacklists would starve the run).
    function toggleBlacklist(uint256 seed) external {
        address account = party(seed >> 2);
        bool blacklisted = token.blacklisted(account);
        vm.assume(blacklisted || seed % 4 == 0);
        token.setBlacklisted(account, !blacklisted);
    }

    /// @dev A credited account claims, to itself when the token lets it, else to another address.
    function claim(uint256 accountSeed, bool elsewhere) external {
        address account = party(accountSeed);
        uint256 credit = market.claimable(account);
        vm.assume(credit != 0);
        address to = elsewhere || token.blacklisted(account) ? stranger : account;
        uint256 before = token.balanceOf(to);
        vm.prank(account);
        uint256 amount = market.claim(to);
        assertEq(amount, credit, "the whole credit");
        assertEq(token.balanceOf(to) - before, credit, "paid to `to`");
        assertEq(market.claimable(account), 0, "claimed");
        totalOut += amount;
        totalClaimed += amount;
    }

    function updateManifest(uint256 leaseSeed) external {
        (bool found, uint256 id, LeaseView memory lease) = activeLease(leaseSeed);
        vm.assume(found);
        vm.prank(lease.tenant);
        market.updateManifest(id, "services: [{name: v2}]\n");
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 1 days));
    }

    function setFee(uint256 feeBps) external {
        uint16 newFeeBps = uint16(bound(feeBps, 0, market.MAX_FEE_BPS()));
        vm.prank(owner);
        market.setFee(newFeeBps);
    }

    /// @dev Unpauses, or pauses one time in four (a paused market makes most other actions
    /// no-ops, so long pauses would starve the run).
    function togglePause(uint256 seed) external {
        bool paused = market.paused();
        vm.assume(paused || seed % 4 == 0);
        vm.prank(owner);
        if (paused) market.unpause();
        else market.pause();
    }

    /// @dev The treasury is never blacklisted here (a refused treasury reverts: see the unit tests).
    function claimFees() external {
        address treasury = market.treasury();
        uint256 before = token.balanceOf(treasury);
        vm.prank(stranger);
        market.claimFees();
        totalOut += token.balanceOf(treasury) - before;
    }

    /*//////////////////////////////////////////////////////////////
                              GHOST READERS
    //////////////////////////////////////////////////////////////*/

    function orderCount() external view returns (uint256) {
        return orderIds.length;
    }

    function providerCount() external view returns (uint256) {
        return providers.length;
    }

    /// @dev Every account the marketplace can credit: the tenants and the regular providers (the
    /// only ones blacklisted).
    function parties() external view returns (address[] memory list) {
        list = new address[](3 + REGULAR_PROVIDERS);
        for (uint256 i; i < list.length; ++i) {
            list[i] = party(i);
        }
    }

    function record(uint256 id) external view returns (LeaseRecord memory) {
        return _records[id];
    }

    /// @dev The model's best bid: the lowest price, then the lowest sequence number.
    function modelBest(uint256 id) external view returns (address best, uint256 price) {
        uint256 sequence;
        for (uint256 i; i < providers.length; ++i) {
            uint256 p = modelPrice[id][providers[i]];
            if (p == 0) continue;
            uint256 s = modelSequence[id][providers[i]];
            if (best == address(0) || p < price || (p == price && s < sequence)) {
                (best, price, sequence) = (providers[i], p, s);
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev The model's worst live bid: the highest price, then the highest sequence number.
    function modelWorst(uint256 id) public view returns (address worst, uint256 price) {
        uint256 sequence;
        for (uint256 i; i < providers.length; ++i) {
            uint256 p = modelPrice[id][providers[i]];
            if (p == 0) continue;
            uint256 s = modelSequence[id][providers[i]];
            if (worst == address(0) || p > price || (p == price && s > sequence)) {
                (worst, price, sequence) = (providers[i], p, s);
            }
        }
    }

    function party(uint256 seed) private view returns (address) {
        seed %= 3 + REGULAR_PROVIDERS;
        return seed < 3 ? tenants[seed] : providers[seed - 3];
    }

    function holdings(address account) private view returns (uint256, uint256) {
        return (token.balanceOf(account), market.claimable(account));
    }

    /// @dev What `account` received and was credited since `holdings`; books the tokens that left.
    function changes(address account, uint256 balanceBefore, uint256 creditBefore)
        private
        returns (uint256 received, uint256 credited)
    {
        received = token.balanceOf(account) - balanceBefore;
        credited = market.claimable(account) - creditBefore;
        totalOut += received;
        totalCredited += credited;
    }

    function fund(address account) private {
        token.mint(account, 1e30);
        vm.prank(account);
        token.approve(address(market), type(uint256).max);
    }

    function recordLeaseStart(uint256 id, uint256 rate) private {
        _records[id].rate = rate;
        _records[id].startedAt = block.timestamp;
    }

    /// @dev The first open order from a seeded position, if any.
    function openOrder(uint256 seed)
        private
        view
        returns (bool found, uint256 id, OrderView memory order)
    {
        uint256 count = orderIds.length;
        for (uint256 i; i < count; ++i) {
            id = orderIds[(seed % count + i) % count];
            order = market.getOrder(id);
            if (order.status == OrderStatus.Open) return (true, id, order);
        }
    }

    /// @dev The first active lease from a seeded position, if any.
    function activeLease(uint256 seed)
        private
        view
        returns (bool found, uint256 id, LeaseView memory lease)
    {
        uint256 count = orderIds.length;
        for (uint256 i; i < count; ++i) {
            id = orderIds[(seed % count + i) % count];
            lease = market.getLease(id);
            if (lease.active) return (true, id, lease);
        }
    }
}
