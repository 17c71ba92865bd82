// Tests of the PBF decoding that Python cannot see piece by piece: varints,
// zigzag, the packed arrays of DenseNodes with their delta coding, granularity
// and offsets, way references, and the format errors of broken data. (Python
// tests compare whole files with pyosmium's reading: tests/test_osm_pbf.py.)

#include "check.hpp"

#include "ecoroute/osm_pbf.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace ecoroute::pbf;

namespace
{
// A minimal protobuf writer, enough to build blocks by hand.
struct Writer
{
    std::string out;

    Writer &varint(std::uint64_t value)
    {
        while (value >= 0x80)
        {
            out.push_back(static_cast<char>((value & 0x7F) | 0x80));
            value >>= 7;
        }
        out.push_back(static_cast<char>(value));
        return *this;
    }
    static std::uint64_t zigzag(std::int64_t v)
    {
        return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
    }
    Writer &key(std::uint32_t field, std::uint32_t wire) { return varint(field << 3 | wire); }
    Writer &integer(std::uint32_t field, std::uint64_t value) { return key(field, 0).varint(value); }
    Writer &bytes(std::uint32_t field, std::string const &value)
    {
        key(field, 2).varint(value.size());
        out += value;
        return *this;
    }
    // A packed field of plain (or, with `signed_values`, zigzag) varints.
    Writer &packed(std::uint32_t field, std::vector<std::int64_t> const &values, bool signed_values)
    {
        Writer inner;
        for (auto v : values)
            inner.varint(signed_values ? zigzag(v) : static_cast<std::uint64_t>(v));
        return bytes(field, inner.out);
    }
};

std::uint8_t const *bytes_of(std::string const &s)
{
    return reinterpret_cast<std::uint8_t const *>(s.data());
}

std::uint64_t varint_of(std::string const &s)
{
    auto const *pos = bytes_of(s);
    return read_varint(pos, pos + s.size());
}

struct Recorder final : BlockVisitor
{
    std::vector<std::string> strings;
    std::vector<std::int64_t> node_ids, way_ids;
    std::vector<std::int32_t> lons, lats;
    std::vector<TagIndices> node_tags, way_tags;
    std::vector<std::vector<std::int64_t>> way_refs;
    std::vector<std::int64_t> member_ids;

    void string_table(std::vector<std::string_view> const &table) override
    {
        strings.assign(table.begin(), table.end());
    }
    void node(std::int64_t id, std::int32_t lon, std::int32_t lat, TagIndices const &tags) override
    {
        node_ids.push_back(id);
        lons.push_back(lon);
        lats.push_back(lat);
        node_tags.push_back(tags);
    }
    void way(std::int64_t id, std::vector<std::int64_t> const &refs, TagIndices const &tags) override
    {
        way_ids.push_back(id);
        way_refs.push_back(refs);
        way_tags.push_back(tags);
    }
    void relation(std::int64_t,
                  TagIndices const &,
                  std::vector<std::uint32_t> const &,
                  std::vector<std::int64_t> const &ids,
                  std::vector<std::uint8_t> const &) override
    {
        member_ids = ids;
    }
};

std::string string_table()
{
    Writer table;
    for (char const *s : {"", "highway", "residential", "barrier", "gate"})
        table.bytes(1, s);
    return table.out;
}

// Three dense nodes (ids 10, 12, 9: deltas +10, +2, -3), the second with
// barrier=gate, and a way 7 over 10, 12, 9 with highway=residential.
std::string sample_block(std::int64_t granularity, std::int64_t lat_offset, std::int64_t lon_offset)
{
    Writer dense;
    dense.packed(1, {10, 2, -3}, true);
    dense.packed(8, {600000000, 1000, -2000}, true);  // in units of granularity
    dense.packed(9, {240000000, -500, 0}, true);
    dense.packed(10, {0, 3, 4, 0, 0}, false);
    Writer way;
    way.integer(1, 7).packed(2, {1}, false).packed(3, {2}, false).packed(8, {10, 2, -3}, true);
    Writer group1, group2;
    group1.bytes(2, dense.out);
    group2.bytes(3, way.out);
    Writer block;
    block.bytes(1, string_table()).bytes(2, group1.out).bytes(2, group2.out);
    if (granularity != 100)
        block.integer(17, static_cast<std::uint64_t>(granularity));
    if (lat_offset != 0)
        block.integer(19, static_cast<std::uint64_t>(lat_offset));
    if (lon_offset != 0)
        block.integer(20, static_cast<std::uint64_t>(lon_offset));
    return block.out;
}

void test_varints_and_zigzag()
{
    CHECK(varint_of(std::string("\x00", 1)) == 0);
    CHECK(varint_of("\x7f") == 127);
    CHECK(varint_of("\xac\x02") == 300);
    CHECK(varint_of(Writer().varint(~std::uint64_t{0}).out) == ~std::uint64_t{0});
    CHECK(zigzag_decode(0) == 0);
    CHECK(zigzag_decode(1) == -1);
    CHECK(zigzag_decode(2) == 1);
    CHECK(zigzag_decode(3) == -2);
    CHECK(zigzag_decode(~std::uint64_t{0}) == INT64_MIN);
    CHECK(zigzag_decode(~std::uint64_t{0} - 1) == INT64_MAX);
    CHECK_THROWS(varint_of("\x80"), FormatError);                              // truncated
    CHECK_THROWS(varint_of(std::string(11, '\x80') + '\x01'), FormatError);  // too long
}

void test_dense_nodes_and_ways()
{
    Recorder seen;
    std::string const block = sample_block(100, 0, 0);
    decode_primitive_block(bytes_of(block), block.size(), seen);
    CHECK((seen.node_ids == std::vector<std::int64_t>{10, 12, 9}));
    // granularity 100 nanodegrees: a value v is v * 100 nanodegrees = v 1e-7 degrees
    CHECK((seen.lats == std::vector<std::int32_t>{600000000, 600001000, 599999000}));
    CHECK((seen.lons == std::vector<std::int32_t>{240000000, 239999500, 239999500}));
    CHECK(seen.node_tags[0].empty());
    CHECK((seen.node_tags[1] == TagIndices{3, 4}));
    CHECK(seen.node_tags[2].empty());
    CHECK((seen.way_ids == std::vector<std::int64_t>{7}));
    CHECK((seen.way_refs[0] == std::vector<std::int64_t>{10, 12, 9}));
    CHECK((seen.way_tags[0] == TagIndices{1, 2}));
    CHECK(seen.strings.at(4) == "gate");
}

void test_granularity_and_offsets()
{
    // granularity 1000 and offsets in nanodegrees: (offset + 1000 v) / 100,
    // truncated toward zero as libosmium does.
    Recorder seen;
    std::string const block = sample_block(1000, 55, -155);
    decode_primitive_block(bytes_of(block), block.size(), seen);
    CHECK(seen.lats[0] == static_cast<std::int32_t>((600000000LL * 1000 + 55) / 100));
    CHECK(seen.lons[0] == static_cast<std::int32_t>((240000000LL * 1000 - 155) / 100));
    CHECK(fixed_coordinate(-1, 100, -50) == -1);  // -150 nanodegrees: -1.5 -> -1
    CHECK(valid_location(1800000000, -900000000));
    CHECK(!valid_location(1800000001, 0));
    CHECK(!valid_location(0, undefined_coordinate));
}

void test_scan_keeps_decided_ways_and_finds_locations()
{
    ScanKeys keys;
    keys.way_filter = {"highway"};
    keys.way_keys = {"highway"};
    keys.node_filter = {"barrier"};
    keys.node_keys = {"barrier"};
    OsmScan scan(keys);
    std::string const block = sample_block(100, 0, 0);
    CHECK(scan.read_block(bytes_of(block), block.size()));
    CHECK(scan.way_tag_set_count() == 1);
    CHECK((scan.way_tag_set(0) == TagList{{"highway", "residential"}}));
    CHECK_THROWS(scan.read_block(bytes_of(block), block.size()), std::logic_error);
    scan.decide({1});
    CHECK((scan.node_id == std::vector<std::int64_t>{12}));
    CHECK((scan.node_sets.at(0) == TagList{{"barrier", "gate"}}));
    CHECK(!scan.nodes_after_ways);
    CHECK(scan.read_block(bytes_of(block), block.size()));  // the same block again
    CHECK(scan.nodes_after_ways);
    CHECK(scan.way_id.size() == 2);  // a known tag set: kept without a new decision
    scan.start_locations();
    scan.read_locations(bytes_of(block), block.size());
    std::vector<double> lat, lon;
    scan.reference_locations(lat, lon);
    CHECK(lat.size() == 6);
    CHECK(lat[1] == 600001000 / 1e7);
    CHECK(lon[2] == 239999500 / 1e7);
    CHECK(!scan.duplicate_nodes);
    scan.read_locations(bytes_of(block), block.size());
    CHECK(scan.duplicate_nodes);
}

void test_a_refused_tag_set_drops_its_ways()
{
    ScanKeys keys;
    keys.way_filter = {"highway"};
    keys.way_keys = {"highway"};
    OsmScan scan(keys);
    std::string const block = sample_block(100, 0, 0);
    scan.read_block(bytes_of(block), block.size());
    scan.decide({0});
    CHECK(scan.way_id.empty());
    CHECK(scan.refs.empty());
    scan.read_block(bytes_of(block), block.size());
    CHECK(scan.way_id.empty());
}

void test_broken_blocks_throw()
{
    std::string const block = sample_block(100, 0, 0);
    for (std::size_t cut : {1UL, 7UL, block.size() / 2, block.size() - 1})
    {
        Recorder seen;
        CHECK_THROWS(decode_primitive_block(bytes_of(block), cut, seen), FormatError);
    }
    // A key index outside the string table.
    Writer way;
    way.integer(1, 7).packed(2, {99}, false).packed(3, {2}, false);
    Writer group, bad;
    group.bytes(3, way.out);
    bad.bytes(1, string_table()).bytes(2, group.out);
    Recorder seen;
    CHECK_THROWS(decode_primitive_block(bytes_of(bad.out), bad.out.size(), seen), FormatError);
    // Dense nodes with more ids than coordinates.
    Writer dense, group2, bad2;
    dense.packed(1, {1, 1}, true).packed(8, {0}, true).packed(9, {0}, true);
    group2.bytes(2, dense.out);
    bad2.bytes(1, string_table()).bytes(2, group2.out);
    CHECK_THROWS(decode_primitive_block(bytes_of(bad2.out), bad2.out.size(), seen), FormatError);
}

void test_relation_members_are_delta_coded()
{
    Writer relation, group, block;
    relation.integer(1, 3)
        .packed(8, {0, 0}, false)
        .packed(9, {100, -1}, true)
        .packed(10, {1, 0}, false);
    group.bytes(4, relation.out);
    block.bytes(1, string_table()).bytes(2, group.out);
    Recorder seen;
    decode_primitive_block(bytes_of(block.out), block.out.size(), seen);
    CHECK((seen.member_ids == std::vector<std::int64_t>{100, 99}));
}
}  // namespace

int main()
{
    test_varints_and_zigzag();
    test_dense_nodes_and_ways();
    test_granularity_and_offsets();
    test_scan_keeps_decided_ways_and_finds_locations();
    test_a_refused_tag_set_drops_its_ways();
    test_broken_blocks_throw();
    test_relation_members_are_delta_coded();
    if (ecoroute_test::failures != 0)
    {
        std::cerr << ecoroute_test::failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
