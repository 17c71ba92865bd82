#include "ecoroute/osm_pbf.hpp"

#include <algorithm>
#include <cmath>

namespace ecoroute::pbf
{
void Message::skip()
{
    switch (wire_type_)
    {
    case 0:
        read_varint(pos_, end_);
        return;
    case 1:
    case 5:
    {
        std::size_t const size = wire_type_ == 1 ? 8 : 4;
        if (static_cast<std::size_t>(end_ - pos_) < size)
            throw FormatError("fixed-size field runs past the end of its message");
        pos_ += size;
        return;
    }
    case 2:
        bytes();
        return;
    default:
        throw FormatError("unknown protobuf wire type " + std::to_string(wire_type_));
    }
}

namespace
{
// A packed repeated field, or a single value given unpacked (wire type 0),
// which libosmium accepts too.
PackedVarints packed(Message &message)
{
    if (message.wire_type() == 2)
        return PackedVarints(message.bytes());
    return PackedVarints(message.raw_varint());
}

void check_index(std::uint64_t index, std::size_t strings)
{
    if (index >= strings)
        throw FormatError("string index " + std::to_string(index) + " outside the string table (" +
                          std::to_string(strings) + " strings)");
}

// Keys and values of a Node, Way or Relation: two parallel packed arrays.
void pair_tags(PackedVarints keys, PackedVarints vals, std::size_t strings, TagIndices &out)
{
    out.clear();
    while (!keys.empty())
    {
        if (vals.empty())
            throw FormatError("an object has more keys than values");
        std::uint64_t const k = keys.next();
        std::uint64_t const v = vals.next();
        check_index(k, strings);
        check_index(v, strings);
        out.push_back(static_cast<std::uint32_t>(k));
        out.push_back(static_cast<std::uint32_t>(v));
    }
    if (!vals.empty())
        throw FormatError("an object has more values than keys");
}

struct Block
{
    std::vector<std::string_view> strings;
    std::vector<std::string_view> groups;
    std::int32_t granularity = 100;
    std::int64_t lat_offset = 0;
    std::int64_t lon_offset = 0;
};

Block read_block_fields(std::uint8_t const *data, std::size_t size)
{
    Block block;
    bool have_strings = false;
    Message message(data, size);
    while (message.next())
    {
        switch (message.field())
        {
        case 1:
        {
            if (have_strings)
                throw FormatError("a block has two string tables");
            have_strings = true;
            Message table(message.bytes());
            while (table.next())
            {
                if (table.field() == 1)
                    block.strings.push_back(table.bytes());
                else
                    table.skip();
            }
            break;
        }
        case 2:
            block.groups.push_back(message.bytes());
            break;
        case 17:
            block.granularity = static_cast<std::int32_t>(message.varint());
            break;
        case 19:
            block.lat_offset = static_cast<std::int64_t>(message.varint());
            break;
        case 20:
            block.lon_offset = static_cast<std::int64_t>(message.varint());
            break;
        default:
            message.skip();
        }
    }
    return block;
}

void read_node(std::string_view bytes, Block const &block, TagIndices &tags, BlockVisitor &visitor)
{
    std::int64_t id = 0, lat = 0, lon = 0;
    PackedVarints keys, vals;
    Message node(bytes);
    while (node.next())
    {
        switch (node.field())
        {
        case 1:
            id = node.svarint();
            break;
        case 2:
            keys = packed(node);
            break;
        case 3:
            vals = packed(node);
            break;
        case 8:
            lat = node.svarint();
            break;
        case 9:
            lon = node.svarint();
            break;
        default:
            node.skip();
        }
    }
    pair_tags(keys, vals, block.strings.size(), tags);
    visitor.node(id,
                 fixed_coordinate(lon, block.granularity, block.lon_offset),
                 fixed_coordinate(lat, block.granularity, block.lat_offset),
                 tags);
}

void read_dense(std::string_view bytes, Block const &block, TagIndices &tags, BlockVisitor &visitor)
{
    PackedVarints ids, lats, lons, keys_vals;
    Message dense(bytes);
    while (dense.next())
    {
        switch (dense.field())
        {
        case 1:
            ids = packed(dense);
            break;
        case 8:
            lats = packed(dense);
            break;
        case 9:
            lons = packed(dense);
            break;
        case 10:
            keys_vals = packed(dense);
            break;
        default:
            dense.skip();
        }
    }
    std::size_t const strings = block.strings.size();
    std::int64_t id = 0, lat = 0, lon = 0;  // delta coded: each value adds to the last
    while (!ids.empty())
    {
        if (lats.empty() || lons.empty())
            throw FormatError("dense nodes have fewer coordinates than ids");
        id = static_cast<std::int64_t>(static_cast<std::uint64_t>(id) +
                                       static_cast<std::uint64_t>(ids.next_signed()));
        lat = static_cast<std::int64_t>(static_cast<std::uint64_t>(lat) +
                                        static_cast<std::uint64_t>(lats.next_signed()));
        lon = static_cast<std::int64_t>(static_cast<std::uint64_t>(lon) +
                                        static_cast<std::uint64_t>(lons.next_signed()));
        tags.clear();
        while (!keys_vals.empty())  // key, value, ..., 0 per node; absent when no node has tags
        {
            auto const k = static_cast<std::int32_t>(keys_vals.next());
            if (k == 0)
                break;
            if (keys_vals.empty())
                throw FormatError("dense nodes have a key without a value");
            auto const v = static_cast<std::int32_t>(keys_vals.next());
            if (k < 0 || v < 0)
                throw FormatError("dense nodes have a negative string index");
            check_index(static_cast<std::uint64_t>(k), strings);
            check_index(static_cast<std::uint64_t>(v), strings);
            tags.push_back(static_cast<std::uint32_t>(k));
            tags.push_back(static_cast<std::uint32_t>(v));
        }
        visitor.node(id,
                     fixed_coordinate(lon, block.granularity, block.lon_offset),
                     fixed_coordinate(lat, block.granularity, block.lat_offset),
                     tags);
    }
}

void read_way(std::string_view bytes,
              Block const &block,
              TagIndices &tags,
              std::vector<std::int64_t> &refs,
              BlockVisitor &visitor)
{
    std::int64_t id = 0;
    PackedVarints keys, vals, deltas;
    bool locations = false;
    Message way(bytes);
    while (way.next())
    {
        switch (way.field())
        {
        case 1:
            id = static_cast<std::int64_t>(way.varint());
            break;
        case 2:
            keys = packed(way);
            break;
        case 3:
            vals = packed(way);
            break;
        case 8:
            deltas = packed(way);
            break;
        case 9:
        case 10:
            locations = true;
            way.skip();
            break;
        default:
            way.skip();
        }
    }
    if (locations)
        visitor.way_with_locations();
    pair_tags(keys, vals, block.strings.size(), tags);
    refs.clear();
    std::uint64_t ref = 0;
    while (!deltas.empty())
    {
        ref += static_cast<std::uint64_t>(deltas.next_signed());
        refs.push_back(static_cast<std::int64_t>(ref));
    }
    visitor.way(id, refs, tags);
}

void read_relation(std::string_view bytes, Block const &block, TagIndices &tags, BlockVisitor &visitor)
{
    std::int64_t id = 0;
    PackedVarints keys, vals, roles_in, ids_in, types_in;
    Message relation(bytes);
    while (relation.next())
    {
        switch (relation.field())
        {
        case 1:
            id = static_cast<std::int64_t>(relation.varint());
            break;
        case 2:
            keys = packed(relation);
            break;
        case 3:
            vals = packed(relation);
            break;
        case 8:
            roles_in = packed(relation);
            break;
        case 9:
            ids_in = packed(relation);
            break;
        case 10:
            types_in = packed(relation);
            break;
        default:
            relation.skip();
        }
    }
    pair_tags(keys, vals, block.strings.size(), tags);
    std::vector<std::uint32_t> roles;
    std::vector<std::int64_t> member_ids;
    std::vector<std::uint8_t> member_types;
    std::uint64_t member = 0;
    while (!roles_in.empty())
    {
        if (ids_in.empty() || types_in.empty())
            throw FormatError("a relation's members have fewer ids or types than roles");
        std::uint64_t const role = roles_in.next();
        check_index(role, block.strings.size());
        member += static_cast<std::uint64_t>(ids_in.next_signed());
        std::uint64_t const type = types_in.next();
        if (type > 2)
            throw FormatError("unknown relation member type " + std::to_string(type));
        roles.push_back(static_cast<std::uint32_t>(role));
        member_ids.push_back(static_cast<std::int64_t>(member));
        member_types.push_back(static_cast<std::uint8_t>(type));
    }
    if (!ids_in.empty() || !types_in.empty())
        throw FormatError("a relation's members have more ids or types than roles");
    visitor.relation(id, tags, roles, member_ids, member_types);
}
}  // namespace

void decode_primitive_block(std::uint8_t const *data, std::size_t size, BlockVisitor &visitor)
{
    Block const block = read_block_fields(data, size);
    visitor.string_table(block.strings);
    TagIndices tags;
    std::vector<std::int64_t> refs;
    for (std::string_view const group_bytes : block.groups)
    {
        Message group(group_bytes);
        while (group.next())
        {
            switch (group.field())
            {
            case 1:
                if (visitor.want_nodes)
                    read_node(group.bytes(), block, tags, visitor);
                else
                    group.skip();
                break;
            case 2:
                if (visitor.want_nodes)
                    read_dense(group.bytes(), block, tags, visitor);
                else
                    group.skip();
                break;
            case 3:
                if (visitor.want_ways)
                    read_way(group.bytes(), block, tags, refs, visitor);
                else
                    group.skip();
                break;
            case 4:
                if (visitor.want_relations)
                    read_relation(group.bytes(), block, tags, visitor);
                else
                    group.skip();
                break;
            default:
                group.skip();
            }
        }
    }
}

// ------------------------------------------------------------------ OsmScan

namespace
{
// A tag list as a hash key: each string with its length in front.
void append_string(std::string &key, std::string_view s)
{
    auto const n = static_cast<std::uint32_t>(s.size());
    key.append(reinterpret_cast<char const *>(&n), sizeof n);
    key.append(s);
}

enum : std::uint8_t
{
    way_filter_key = 1,
    way_key = 2,
    node_filter_key = 4,
    node_key = 8,
};
}  // namespace

struct ScanVisitor final : BlockVisitor
{
    OsmScan &scan;
    std::vector<std::string_view> const *strings = nullptr;
    std::vector<std::uint8_t> kind;  // per string: which of the key sets it is in
    std::string key;
    bool had_nodes = false;

    explicit ScanVisitor(OsmScan &s) : scan(s) { want_relations = false; }

    void string_table(std::vector<std::string_view> const &table) override
    {
        strings = &table;
        kind.assign(table.size(), 0);
        for (std::size_t i = 0; i != table.size(); ++i)
        {
            std::string const s(table[i]);
            std::uint8_t k = 0;
            if (scan.way_filter_.contains(s))
                k |= way_filter_key;
            if (scan.way_keys_.contains(s))
                k |= way_key;
            else
                for (auto const &prefix : scan.way_prefixes_)
                    if (s.starts_with(prefix))
                        k |= way_key;
            if (scan.node_filter_.contains(s))
                k |= node_filter_key;
            if (scan.node_keys_.contains(s))
                k |= node_key;
            kind[i] = k;
        }
    }

    // The tags of `wanted` kind as a hash key, and as a list when new.
    std::uint32_t number(TagIndices const &tags,
                         std::uint8_t wanted,
                         std::unordered_map<std::string, std::uint32_t> &numbers,
                         std::vector<TagList> &sets)
    {
        key.clear();
        for (std::size_t i = 0; i < tags.size(); i += 2)
            if (kind[tags[i]] & wanted)
            {
                append_string(key, (*strings)[tags[i]]);
                append_string(key, (*strings)[tags[i + 1]]);
            }
        auto const [at, added] = numbers.try_emplace(key, static_cast<std::uint32_t>(sets.size()));
        if (added)
        {
            TagList list;
            for (std::size_t i = 0; i < tags.size(); i += 2)
                if (kind[tags[i]] & wanted)
                    list.emplace_back((*strings)[tags[i]], (*strings)[tags[i + 1]]);
            sets.push_back(std::move(list));
        }
        return at->second;
    }

    void node(std::int64_t id, std::int32_t, std::int32_t, TagIndices const &tags) override
    {
        had_nodes = true;
        if (scan.ways_seen_)
            scan.nodes_after_ways = true;
        bool wanted = false;
        for (std::size_t i = 0; i < tags.size() && !wanted; i += 2)
            wanted = kind[tags[i]] & node_filter_key;
        if (!wanted)
            return;
        scan.node_id.push_back(id);
        scan.node_tag_set_of.push_back(number(tags, node_key, scan.node_set_number_, scan.node_sets));
    }

    void way(std::int64_t id, std::vector<std::int64_t> const &refs, TagIndices const &tags) override
    {
        scan.ways_seen_ = true;
        bool wanted = false;
        for (std::size_t i = 0; i < tags.size() && !wanted; i += 2)
            wanted = kind[tags[i]] & way_filter_key;
        if (!wanted)
            return;
        std::uint32_t const set = number(tags, way_key, scan.way_set_number_, scan.way_sets_);
        if (set == scan.way_set_keep_.size())
            scan.way_set_keep_.push_back(-1);
        if (scan.way_set_keep_[set] == 0)
            return;
        scan.way_id.push_back(id);
        scan.way_tag_set_of.push_back(set);
        scan.way_length.push_back(static_cast<std::uint32_t>(refs.size()));
        scan.refs.insert(scan.refs.end(), refs.begin(), refs.end());
    }

    void relation(std::int64_t,
                  TagIndices const &,
                  std::vector<std::uint32_t> const &,
                  std::vector<std::int64_t> const &,
                  std::vector<std::uint8_t> const &) override
    {
    }

    void way_with_locations() override { scan.locations_on_ways = true; }
};

OsmScan::OsmScan(ScanKeys const &keys)
    : way_filter_(keys.way_filter.begin(), keys.way_filter.end()),
      way_keys_(keys.way_keys.begin(), keys.way_keys.end()),
      node_filter_(keys.node_filter.begin(), keys.node_filter.end()),
      node_keys_(keys.node_keys.begin(), keys.node_keys.end()),
      way_prefixes_(keys.way_key_prefixes)
{
}

bool OsmScan::read_block(std::uint8_t const *data, std::size_t size)
{
    if (decided_ != way_sets_.size())
        throw std::logic_error("OsmScan::read_block: decide on the new tag sets first");
    pending_way_ = way_id.size();
    pending_ref_ = refs.size();
    ScanVisitor visitor(*this);
    decode_primitive_block(data, size, visitor);
    return visitor.had_nodes;
}

void OsmScan::decide(std::vector<std::uint8_t> const &keep)
{
    if (keep.size() != way_sets_.size() - decided_)
        throw std::invalid_argument("OsmScan::decide: one decision per undecided tag set");
    for (std::size_t i = 0; i != keep.size(); ++i)
        way_set_keep_[decided_ + i] = keep[i] ? 1 : 0;
    decided_ = way_sets_.size();
    // Drop the ways read since the last block whose new tag set was refused.
    std::size_t w = pending_way_, r = pending_ref_, from_ref = pending_ref_;
    for (std::size_t i = pending_way_; i != way_id.size(); ++i)
    {
        std::uint32_t const length = way_length[i];
        if (way_set_keep_[way_tag_set_of[i]])
        {
            way_id[w] = way_id[i];
            way_tag_set_of[w] = way_tag_set_of[i];
            way_length[w] = length;
            std::copy(refs.begin() + static_cast<std::ptrdiff_t>(from_ref),
                      refs.begin() + static_cast<std::ptrdiff_t>(from_ref + length),
                      refs.begin() + static_cast<std::ptrdiff_t>(r));
            ++w;
            r += length;
        }
        from_ref += length;
    }
    way_id.resize(w);
    way_tag_set_of.resize(w);
    way_length.resize(w);
    refs.resize(r);
    pending_way_ = w;
    pending_ref_ = r;
}

void OsmScan::start_locations()
{
    needed_ = refs;
    std::sort(needed_.begin(), needed_.end());
    needed_.erase(std::unique(needed_.begin(), needed_.end()), needed_.end());
    needed_.shrink_to_fit();
    needed_lon_.assign(needed_.size(), undefined_coordinate);
    needed_lat_.assign(needed_.size(), undefined_coordinate);
    needed_seen_.assign(needed_.size(), 0);
    cursor_ = 0;
    last_id_ = std::numeric_limits<std::int64_t>::min();
}

struct LocationVisitor final : BlockVisitor
{
    OsmScan &scan;

    explicit LocationVisitor(OsmScan &s) : scan(s)
    {
        want_ways = false;
        want_relations = false;
    }
    void string_table(std::vector<std::string_view> const &) override {}

    void node(std::int64_t id, std::int32_t lon, std::int32_t lat, TagIndices const &) override
    {
        auto const &needed = scan.needed_;
        std::size_t at = scan.cursor_;
        if (id > scan.last_id_)  // sorted files: gallop forward from the last hit
        {
            std::size_t step = 1;
            std::size_t low = at;
            while (at < needed.size() && needed[at] < id)
            {
                low = at + 1;
                at += step;
                step *= 2;
            }
            at = static_cast<std::size_t>(
                std::lower_bound(needed.begin() + static_cast<std::ptrdiff_t>(low),
                                 needed.begin() + static_cast<std::ptrdiff_t>(
                                                      std::min(at + 1, needed.size())),
                                 id) -
                needed.begin());
        }
        else
            at = static_cast<std::size_t>(
                std::lower_bound(needed.begin(), needed.end(), id) - needed.begin());
        scan.last_id_ = id;
        scan.cursor_ = at;
        if (at == needed.size() || needed[at] != id)
            return;
        if (scan.needed_seen_[at])
            scan.duplicate_nodes = true;
        scan.needed_seen_[at] = 1;
        scan.needed_lon_[at] = lon;
        scan.needed_lat_[at] = lat;
    }
    void way(std::int64_t, std::vector<std::int64_t> const &, TagIndices const &) override {}
    void relation(std::int64_t,
                  TagIndices const &,
                  std::vector<std::uint32_t> const &,
                  std::vector<std::int64_t> const &,
                  std::vector<std::uint8_t> const &) override
    {
    }
};

void OsmScan::read_locations(std::uint8_t const *data, std::size_t size)
{
    LocationVisitor visitor(*this);
    decode_primitive_block(data, size, visitor);
}

void OsmScan::reference_locations(std::vector<double> &lat, std::vector<double> &lon) const
{
    lat.resize(refs.size());
    lon.resize(refs.size());
    double const nan = std::nan("");
    for (std::size_t i = 0; i != refs.size(); ++i)
    {
        auto const at = static_cast<std::size_t>(
            std::lower_bound(needed_.begin(), needed_.end(), refs[i]) - needed_.begin());
        if (at == needed_.size() || needed_[at] != refs[i] ||
            !valid_location(needed_lon_[at], needed_lat_[at]))
        {
            lat[i] = lon[i] = nan;
            continue;
        }
        lat[i] = static_cast<double>(needed_lat_[at]) / 10000000;
        lon[i] = static_cast<double>(needed_lon_[at]) / 10000000;
    }
}
}  // namespace ecoroute::pbf
