#ifndef ECOROUTE_OSM_PBF_HPP
#define ECOROUTE_OSM_PBF_HPP

// Reading OpenStreetMap PBF data (wiki.openstreetmap.org/wiki/PBF_Format):
// the protobuf wire format, the PrimitiveBlock's string table, DenseNodes
// with their delta-coded ids and coordinates, Ways with delta-coded
// references, Relations. Blobs arrive here already decompressed (the Python
// layer frames and inflates them with the standard library's zlib), so the
// core needs no compression library.
//
// This is the one part of cpp/ that sees OSM ids: it is a file reader, and
// what it hands on are plain arrays (ids, references, 1e-7 degree
// coordinates) and numbered tag sets.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ecoroute::pbf
{
//! Thrown on data that breaks the PBF format (a truncated varint, an index
//! outside the string table, keys without values...).
struct FormatError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

//! Reads one base-128 varint at `pos`, advancing it; throws FormatError when
//! the data ends first or the varint is longer than 10 bytes.
inline std::uint64_t read_varint(std::uint8_t const *&pos, std::uint8_t const *end)
{
    std::uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7)
    {
        if (pos == end)
            throw FormatError("truncated varint");
        std::uint8_t const byte = *pos++;
        value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if (byte < 0x80)
            return value;
    }
    throw FormatError("varint longer than 10 bytes");
}

//! Protobuf's zigzag coding of signed integers: 0, -1, 1, -2 ... as 0, 1, 2, 3 ...
constexpr std::int64_t zigzag_decode(std::uint64_t value)
{
    return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

//! One protobuf message, read field by field:
//! `while (message.next()) switch (message.field()) ...`.
class Message
{
  public:
    Message() = default;
    Message(std::uint8_t const *data, std::size_t size) : pos_(data), end_(data + size) {}
    explicit Message(std::string_view bytes)
        : Message(reinterpret_cast<std::uint8_t const *>(bytes.data()), bytes.size())
    {
    }

    //! Moves to the next field; false at the end of the message.
    bool next()
    {
        if (pos_ == end_)
            return false;
        std::uint64_t const key = read_varint(pos_, end_);
        field_ = static_cast<std::uint32_t>(key >> 3);
        wire_type_ = static_cast<std::uint32_t>(key & 7);
        return true;
    }
    [[nodiscard]] std::uint32_t field() const { return field_; }
    [[nodiscard]] std::uint32_t wire_type() const { return wire_type_; }

    //! The field's value as an integer (wire type 0).
    std::uint64_t varint()
    {
        expect(0);
        return read_varint(pos_, end_);
    }
    //! The field's value as a signed (sint32/sint64) integer.
    std::int64_t svarint() { return zigzag_decode(varint()); }
    //! The field's bytes (wire type 2: strings, messages, packed arrays).
    std::string_view bytes()
    {
        expect(2);
        std::uint64_t const size = read_varint(pos_, end_);
        if (size > static_cast<std::uint64_t>(end_ - pos_))
            throw FormatError("field runs past the end of its message");
        std::string_view const out(reinterpret_cast<char const *>(pos_), size);
        pos_ += size;
        return out;
    }
    //! The bytes of the field's varint value as they stand (wire type 0), so
    //! that a single unpacked value reads like a packed array of one.
    std::string_view raw_varint()
    {
        expect(0);
        std::uint8_t const *start = pos_;
        read_varint(pos_, end_);
        return {reinterpret_cast<char const *>(start), static_cast<std::size_t>(pos_ - start)};
    }
    //! Skips the field's value, whatever its wire type.
    void skip();

  private:
    void expect(std::uint32_t wire_type) const
    {
        if (wire_type_ != wire_type)
            throw FormatError("field " + std::to_string(field_) + " has wire type " +
                              std::to_string(wire_type_) + ", expected " +
                              std::to_string(wire_type));
    }

    std::uint8_t const *pos_ = nullptr;
    std::uint8_t const *end_ = nullptr;
    std::uint32_t field_ = 0;
    std::uint32_t wire_type_ = 0;
};

//! A packed repeated varint field, read one value at a time.
class PackedVarints
{
  public:
    PackedVarints() = default;
    explicit PackedVarints(std::string_view bytes)
        : pos_(reinterpret_cast<std::uint8_t const *>(bytes.data())), end_(pos_ + bytes.size())
    {
    }
    [[nodiscard]] bool empty() const { return pos_ == end_; }
    std::uint64_t next() { return read_varint(pos_, end_); }
    std::int64_t next_signed() { return zigzag_decode(next()); }

  private:
    std::uint8_t const *pos_ = nullptr;
    std::uint8_t const *end_ = nullptr;
};

//! Coordinates are kept as libosmium keeps them: degrees times 10^7 in 32
//! bits, so that a location read here is bit for bit the one libosmium reads.
inline constexpr std::int32_t undefined_coordinate = std::numeric_limits<std::int32_t>::max();

//! A PBF coordinate (`offset + granularity * value` nanodegrees) in 1e-7
//! degrees, truncated toward zero and wrapped to 32 bits as libosmium does
//! (in unsigned arithmetic, so that hostile values cannot overflow).
constexpr std::int32_t fixed_coordinate(std::int64_t value, std::int32_t granularity,
                                        std::int64_t offset)
{
    auto const nano = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) *
                                                     static_cast<std::uint64_t>(
                                                         static_cast<std::int64_t>(granularity)) +
                                                 static_cast<std::uint64_t>(offset));
    return static_cast<std::int32_t>(nano / 100);
}

//! Whether a location lies on the globe (libosmium's `Location::valid`).
constexpr bool valid_location(std::int32_t lon, std::int32_t lat)
{
    return lon >= -1800000000 && lon <= 1800000000 && lat >= -900000000 && lat <= 900000000;
}

//! Tags as indices into a block's string table: key, value, key, value ...
using TagIndices = std::vector<std::uint32_t>;

//! What `decode_primitive_block` hands to its visitor, object by object.
//! Tags are string-table indices, checked against the table's size.
struct BlockVisitor
{
    bool want_nodes = true;
    bool want_ways = true;
    bool want_relations = true;

    virtual ~BlockVisitor() = default;
    //! Called once per block, before its objects.
    virtual void string_table(std::vector<std::string_view> const &strings) = 0;
    virtual void node(std::int64_t id, std::int32_t lon, std::int32_t lat, TagIndices const &tags) = 0;
    //! `refs` are the way's node ids, already delta-decoded.
    virtual void way(std::int64_t id, std::vector<std::int64_t> const &refs,
                     TagIndices const &tags) = 0;
    //! `member_types` are 0 node, 1 way, 2 relation; `roles` string indices.
    virtual void relation(std::int64_t id, TagIndices const &tags,
                          std::vector<std::uint32_t> const &roles,
                          std::vector<std::int64_t> const &member_ids,
                          std::vector<std::uint8_t> const &member_types) = 0;
    //! Called for a way carrying its own node locations (the LocationsOnWays
    //! feature), which this reader does not read.
    virtual void way_with_locations() {}
};

//! Decodes one PrimitiveBlock (the decompressed bytes of an OSMData blob),
//! calling `visitor` per object in file order. Throws FormatError.
void decode_primitive_block(std::uint8_t const *data, std::size_t size, BlockVisitor &visitor);

//! A list of (key, value) pairs, in the order the object gave them.
using TagList = std::vector<std::pair<std::string, std::string>>;

//! Which keys the scan reads. A way is read when it has one of `way_filter`
//! (its tags restricted to `way_keys` and keys starting with one of
//! `way_key_prefixes`), a node when it has one of `node_filter` (its tags
//! restricted to `node_keys`).
struct ScanKeys
{
    std::vector<std::string> way_filter;
    std::vector<std::string> way_keys;
    std::vector<std::string> way_key_prefixes;
    std::vector<std::string> node_filter;
    std::vector<std::string> node_keys;
};

//! The road network's part of an OSM file, read in two passes over its blocks.
//!
//! Pass 1 (`read_block` on every OSMData block, in file order) keeps the ways
//! with a filter key (their ids, node references and a tag set number) and
//! the nodes with a filter key (id and tag set number). Tag sets are numbered
//! in order of first appearance; the caller decides once per new tag set
//! whether its ways are kept (`decide`), so most ways share a handful of
//! decisions. Pass 2 (`start_locations`, then `read_locations` on the blocks
//! that held nodes) finds the coordinates of the referenced nodes only,
//! kept in arrays sorted by id (16 bytes per distinct referenced node).
class OsmScan
{
  public:
    explicit OsmScan(ScanKeys const &keys);

    //! Pass 1: reads one PrimitiveBlock. Returns whether it held nodes.
    bool read_block(std::uint8_t const *data, std::size_t size);
    //! Way tag sets numbered so far; those from `decided_count()` on await `decide`.
    [[nodiscard]] std::size_t way_tag_set_count() const { return way_sets_.size(); }
    [[nodiscard]] std::size_t decided_count() const { return decided_; }
    [[nodiscard]] TagList const &way_tag_set(std::size_t i) const { return way_sets_[i]; }
    //! Keeps (1) or drops (0) the ways of the undecided tag sets, in order.
    void decide(std::vector<std::uint8_t> const &keep);

    //! Pass 2: sorts the referenced node ids; then read the node blocks again.
    void start_locations();
    void read_locations(std::uint8_t const *data, std::size_t size);
    //! Per reference: latitude and longitude in degrees, NaN where the node is
    //! missing or its location is not on the globe (as libosmium reads it).
    void reference_locations(std::vector<double> &lat, std::vector<double> &lon) const;

    // The ways kept, in file order.
    std::vector<std::int64_t> way_id;
    std::vector<std::uint32_t> way_tag_set_of;  //!< tag set number per way
    std::vector<std::uint32_t> way_length;      //!< references per way
    std::vector<std::int64_t> refs;             //!< node ids, way after way
    // The nodes with a filter key, in file order.
    std::vector<std::int64_t> node_id;
    std::vector<std::uint32_t> node_tag_set_of;
    std::vector<TagList> node_sets;

    //! Conditions under which this reader would not read the file as
    //! libosmium does: a node after a way (libosmium's location index has not
    //! seen it yet), a referenced node given twice, locations on ways.
    bool nodes_after_ways = false;
    bool duplicate_nodes = false;
    bool locations_on_ways = false;

  private:
    friend struct ScanVisitor;
    friend struct LocationVisitor;

    std::unordered_set<std::string> way_filter_, way_keys_, node_filter_, node_keys_;
    std::vector<std::string> way_prefixes_;

    std::vector<TagList> way_sets_;
    std::unordered_map<std::string, std::uint32_t> way_set_number_;
    std::vector<std::int8_t> way_set_keep_;  // -1 undecided, 0 drop, 1 keep
    std::size_t decided_ = 0;
    std::size_t pending_way_ = 0;  // ways from here on await `decide`
    std::size_t pending_ref_ = 0;
    std::unordered_map<std::string, std::uint32_t> node_set_number_;
    bool ways_seen_ = false;

    std::vector<std::int64_t> needed_;  // sorted distinct referenced ids
    std::vector<std::int32_t> needed_lon_, needed_lat_;
    std::vector<std::uint8_t> needed_seen_;
    std::size_t cursor_ = 0;
    std::int64_t last_id_ = std::numeric_limits<std::int64_t>::min();
};
}  // namespace ecoroute::pbf

#endif  // ECOROUTE_OSM_PBF_HPP
