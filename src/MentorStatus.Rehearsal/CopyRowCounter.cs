using System.Buffers.Binary;

namespace MentorStatus.Rehearsal;

/// <summary>
/// Counts the rows of a COPY stream as it passes through, without decoding a value: in binary format by
/// walking the tuple headers (int16 field count, then int32 length and bytes per field; -1 ends the stream),
/// in text format by counting line ends (a newline inside a value is escaped as \n).
/// </summary>
internal sealed class CopyRowCounter(bool binary)
{
    private enum State { Header, HeaderExtension, FieldCount, FieldLength, FieldData, Done }

    private const int HeaderLength = 19; // "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length
    private readonly byte[] _pending = new byte[HeaderLength];
    private int _have;
    private long _skip;
    private int _fieldsLeft;
    private State _state = State.Header;

    public long Rows { get; private set; }

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (!binary)
        {
            Rows += data.Count((byte)'\n');
            return;
        }
        var i = 0;
        while (i < data.Length && _state != State.Done)
        {
            switch (_state)
            {
                case State.Header:
                    if (!Fill(data, ref i, HeaderLength)) return;
                    _skip = BinaryPrimitives.ReadInt32BigEndian(_pending.AsSpan(15));
                    _state = State.HeaderExtension;
                    break;
                case State.HeaderExtension:
                case State.FieldData:
                    var n = (int)Math.Min(_skip, data.Length - i);
                    i += n;
                    _skip -= n;
                    if (_skip == 0) _state = _state == State.HeaderExtension ? State.FieldCount : NextField();
                    break;
                case State.FieldCount:
                    if (!Fill(data, ref i, 2)) return;
                    var fields = BinaryPrimitives.ReadInt16BigEndian(_pending);
                    if (fields == -1) { _state = State.Done; break; }
                    Rows++;
                    _fieldsLeft = fields;
                    _state = NextField();
                    break;
                case State.FieldLength:
                    if (!Fill(data, ref i, 4)) return;
                    var length = BinaryPrimitives.ReadInt32BigEndian(_pending);
                    _fieldsLeft--;
                    if (length > 0) { _skip = length; _state = State.FieldData; }
                    else _state = NextField();
                    break;
            }
        }
    }

    private State NextField() => _fieldsLeft > 0 ? State.FieldLength : State.FieldCount;

    private bool Fill(ReadOnlySpan<byte> data, ref int i, int need)
    {
        var take = Math.Min(need - _have, data.Length - i);
        data.Slice(i, take).CopyTo(_pending.AsSpan(_have));
        _have += take;
        i += take;
        if (_have < need) return false;
        _have = 0;
        return true;
    }
}
