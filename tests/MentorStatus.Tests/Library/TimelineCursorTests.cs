using System.Buffers.Text;
using System.Text;

namespace MentorStatus.Tests.Library;

/// <summary>A page cursor from outside is input: every malformed one is an ArgumentException naming it, never an overflow or format error.</summary>
public sealed class TimelineCursorTests
{
    private static string Encoded(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void ACursorItHandedOutRoundTrips()
    {
        var at = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero).AddTicks(7);
        var id = Guid.NewGuid();
        Assert.Equal((at, id), TimelineCursor.Decode(TimelineCursor.Encode(at, id)));
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("")]
    [InlineData("99999999999999999999999:00000000000040008004000000000003")] // ticks overflow a long
    [InlineData("3155378976000000000:00000000000040008004000000000003")]     // past DateTimeOffset.MaxValue
    [InlineData("-5:00000000000040008004000000000003")]
    [InlineData("638999999999999999:not-a-guid")]
    [InlineData("638999999999999999")]
    [InlineData("1:2:3")]
    public void AMalformedCursorIsAnArgumentErrorNamingIt(string decoded)
    {
        var cursor = decoded == "not base64url!" ? decoded : Encoded(decoded);
        var error = Assert.Throws<ArgumentException>(() => TimelineCursor.Decode(cursor));
        Assert.Equal("cursor", error.ParamName);
        Assert.Contains("is not one this program handed out", error.Message);
        Assert.Contains(cursor.Length > 60 ? cursor[..60] : cursor, error.Message);
    }
}
