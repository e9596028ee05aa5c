using System.Text;

namespace MentorStatus.Database.Migrations;

/// <summary>One statement of a SQL file, with where it starts, so errors can point at it.</summary>
/// <param name="Number">1-based position of the statement in its file.</param>
/// <param name="Line">1-based line of the statement's first significant character.</param>
/// <param name="Text">The statement without its terminating semicolon, trimmed.</param>
public sealed record SqlStatement(int Number, int Line, string Text)
{
    /// <summary>
    /// The inline rows of a `COPY … FROM stdin` (pg_dump's format): the lines after the statement up to a line `\.`,
    /// without that line; null for every other statement.
    /// </summary>
    public string? CopyData { get; init; }

    /// <summary>The statement with comments removed, white space folded and lower-cased outside quotes:
    /// what the engine matches keywords against and compares for drift.</summary>
    public string Normalized { get; } = SqlScript.Normalize(Text);

    /// <summary>The line within the file of a 1-based character position inside <see cref="Text"/>
    /// (PostgreSQL reports error positions that way).</summary>
    public int LineOfPosition(int position)
    {
        var end = Math.Clamp(position - 1, 0, Text.Length);
        var line = Line;
        for (var i = 0; i < end; i++)
            if (Text[i] == '\n') line++;
        return line;
    }
}

/// <summary>
/// Splits PostgreSQL scripts into statements. Written by hand (not Npgsql's splitter) because the
/// engine must know each statement's number and line for its errors, and must see each statement
/// alone to recognise the ones that cannot run inside a transaction.
/// Understands -- and nested /* */ comments, '…' and E'…' strings, "…" identifiers and $tag$…$tag$ bodies.
/// </summary>
public static partial class SqlScript
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^copy\b[^;]*\bfrom stdin\b")]
    private static partial System.Text.RegularExpressions.Regex CopyFromStdin();

    public static IReadOnlyList<SqlStatement> Split(string sql)
    {
        var statements = new List<SqlStatement>();
        var lexer = new Lexer(sql);
        int? start = null;
        var startLine = 0;
        foreach (var token in lexer.Tokens())
        {
            if (token.Kind is TokenKind.Space or TokenKind.Comment)
                continue;
            if (token.Kind == TokenKind.Semicolon)
            {
                if (start is { } s)
                {
                    var statement = new SqlStatement(statements.Count + 1, startLine, sql[s..token.Start].Trim());
                    // As psql reads a dump: the rows of COPY … FROM stdin follow on the next line and end at a line `\.`.
                    if (CopyFromStdin().IsMatch(statement.Normalized))
                        statement = statement with { CopyData = lexer.SkipCopyData() };
                    statements.Add(statement);
                }
                start = null;
                continue;
            }
            if (start is null)
            {
                start = token.Start;
                startLine = token.Line;
            }
        }
        if (start is { } last && sql[last..].Trim().Length > 0)
            statements.Add(new SqlStatement(statements.Count + 1, startLine, sql[last..].Trim()));
        return statements;
    }

    /// <summary>Comments dropped, white space folded to one space, top-level semicolons dropped,
    /// everything outside quotes lower-cased: two scripts that differ only in layout compare equal.</summary>
    public static string Normalize(string sql)
    {
        var builder = new StringBuilder(sql.Length);
        var pendingSpace = false;
        var previous = TokenKind.Space;
        foreach (var token in new Lexer(sql).Tokens())
        {
            if (token.Kind is TokenKind.Space or TokenKind.Comment or TokenKind.Semicolon)
            {
                pendingSpace = builder.Length > 0;
                continue;
            }
            // A space matters only between two words or quoted tokens; around punctuation it is layout.
            if (pendingSpace && IsWordLike(previous) && IsWordLike(token.Kind)) builder.Append(' ');
            pendingSpace = false;
            previous = token.Kind;
            var text = sql.AsSpan(token.Start, token.Length);
            if (token.Kind == TokenKind.Word) builder.Append(text.ToString().ToLowerInvariant());
            else builder.Append(text);
        }
        return builder.ToString();
    }

    private static bool IsWordLike(TokenKind kind) => kind is TokenKind.Word or TokenKind.Quoted;

    internal enum TokenKind { Space, Comment, Word, Quoted, Semicolon, Other }

    internal readonly record struct Token(TokenKind Kind, int Start, int Length, int Line);

    private sealed class Lexer(string sql)
    {
        private int _pos;
        private int _line = 1;

        public IEnumerable<Token> Tokens()
        {
            while (_pos < sql.Length)
            {
                var start = _pos;
                var line = _line;
                var kind = Next();
                yield return new Token(kind, start, _pos - start, line);
            }
        }

        /// <summary>
        /// Moves past the inline rows of a COPY … FROM stdin that just ended at the current position: the rest of the
        /// current line, then every line up to a line `\.` (or the end of the script), which is returned without it.
        /// </summary>
        public string SkipCopyData()
        {
            var lineEnd = sql.IndexOf('\n', _pos);
            if (lineEnd < 0) { Advance(sql.Length - _pos); return ""; }
            Advance(lineEnd + 1 - _pos);
            var start = _pos;
            while (_pos < sql.Length)
            {
                var end = sql.IndexOf('\n', _pos);
                var line = end < 0 ? sql[_pos..] : sql[_pos..end];
                if (line.TrimEnd('\r') == "\\.")
                {
                    var data = sql[start.._pos];
                    Advance((end < 0 ? sql.Length : end + 1) - _pos);
                    return data;
                }
                Advance((end < 0 ? sql.Length : end + 1) - _pos);
            }
            return sql[start..];
        }

        private char Peek(int offset = 0) => _pos + offset < sql.Length ? sql[_pos + offset] : '\0';

        private void Advance(int count = 1)
        {
            for (var i = 0; i < count && _pos < sql.Length; i++)
            {
                if (sql[_pos] == '\n') _line++;
                _pos++;
            }
        }

        private TokenKind Next()
        {
            var c = Peek();
            if (char.IsWhiteSpace(c))
            {
                while (_pos < sql.Length && char.IsWhiteSpace(Peek())) Advance();
                return TokenKind.Space;
            }
            if (c == '-' && Peek(1) == '-')
            {
                while (_pos < sql.Length && Peek() != '\n') Advance();
                return TokenKind.Comment;
            }
            if (c == '/' && Peek(1) == '*')
            {
                var startLine = _line;
                var depth = 0;
                do
                {
                    if (Peek() == '/' && Peek(1) == '*') { depth++; Advance(2); }
                    else if (Peek() == '*' && Peek(1) == '/') { depth--; Advance(2); }
                    else if (_pos >= sql.Length) throw Unterminated("block comment /* … */", startLine, "close it with */");
                    else Advance();
                } while (depth > 0);
                return TokenKind.Comment;
            }
            if (c == ';') { Advance(); return TokenKind.Semicolon; }
            if (c == '\'') { ReadString(backslashEscapes: false); return TokenKind.Quoted; }
            if ((c is 'e' or 'E') && Peek(1) == '\'' && !IsIdentifierChar(Before()))
            {
                Advance();
                ReadString(backslashEscapes: true);
                return TokenKind.Quoted;
            }
            if (c == '"')
            {
                var startLine = _line;
                Advance();
                while (true)
                {
                    if (_pos >= sql.Length) throw Unterminated("quoted identifier \"…\"", startLine, "close it with \"");
                    if (Peek() == '"' && Peek(1) == '"') { Advance(2); continue; }
                    if (Peek() == '"') { Advance(); break; }
                    Advance();
                }
                return TokenKind.Quoted;
            }
            if (c == '$' && TryDollarTag(out var tag))
            {
                var startLine = _line;
                Advance(tag.Length);
                var close = sql.IndexOf(tag, _pos, StringComparison.Ordinal);
                if (close < 0) throw Unterminated($"dollar-quoted body {tag}…{tag}", startLine, $"close it with {tag}");
                Advance(close + tag.Length - _pos);
                return TokenKind.Quoted;
            }
            if (IsIdentifierStart(c))
            {
                while (_pos < sql.Length && IsIdentifierChar(Peek())) Advance();
                return TokenKind.Word;
            }
            Advance();
            return TokenKind.Other;
        }

        private char Before() => _pos > 0 ? sql[_pos - 1] : '\0';

        private void ReadString(bool backslashEscapes)
        {
            var startLine = _line;
            Advance(); // opening quote
            while (true)
            {
                if (_pos >= sql.Length) throw Unterminated("string literal '…'", startLine, "close it with '");
                var c = Peek();
                if (backslashEscapes && c == '\\') { Advance(2); continue; }
                if (c == '\'' && Peek(1) == '\'') { Advance(2); continue; }
                Advance();
                if (c == '\'') return;
            }
        }

        /// <summary>$tag$ or $$, but not a $1 parameter and not a $ inside an identifier.</summary>
        private bool TryDollarTag(out string tag)
        {
            tag = "";
            if (IsIdentifierChar(Before())) return false;
            var end = _pos + 1;
            if (end < sql.Length && char.IsDigit(sql[end])) return false;
            while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_')) end++;
            if (end >= sql.Length || sql[end] != '$') return false;
            tag = sql[_pos..(end + 1)];
            return true;
        }

        private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_';
        private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

        private static SqlSyntaxException Unterminated(string what, int line, string fix) =>
            new($"unterminated {what} starting on line {line}; {fix}", line);
    }
}

/// <summary>A script that cannot be split because a quote, comment or body never ends.</summary>
public sealed class SqlSyntaxException(string message, int line) : MentorStatusException(message)
{
    public int Line { get; } = line;
}
