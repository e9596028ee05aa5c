using MentorStatus.Database.Migrations;

namespace MentorStatus.Tests.Engine;

public sealed class SqlScriptTests
{
    [Fact]
    public void SplitsOnTopLevelSemicolonsOnlyAndKeepsLines()
    {
        var sql = """
            -- a comment; with a semicolon
            create table a (x text default 'a;b');
            /* block; /* nested; */ still comment */
            create function f() returns int language plpgsql as $body$
            begin
              return 1; -- inside the body
            end
            $body$;
            select E'it\'s; fine', "odd;name" from a
            """;
        var statements = SqlScript.Split(sql);
        Assert.Equal(3, statements.Count);
        Assert.Equal((1, 2), (statements[0].Number, statements[0].Line));
        Assert.Equal(4, statements[1].Line);
        Assert.EndsWith("$body$", statements[1].Text);
        Assert.Equal(9, statements[2].Line);
        Assert.StartsWith("select E'it\\'s; fine'", statements[2].Text);
    }

    [Fact]
    public void PositionalParametersAreNotDollarQuotes()
    {
        var statements = SqlScript.Split("prepare p as select $1::int; execute p(1);");
        Assert.Equal(2, statements.Count);
    }

    [Theory]
    [InlineData("select 1;\ncreate function f() returns int as $$ select 1;", "dollar-quoted", 2)]
    [InlineData("select 'open;", "string literal", 1)]
    [InlineData("select 1; /* never closed", "block comment", 1)]
    [InlineData("select \"x from t", "quoted identifier", 1)]
    public void UnterminatedQuotesAreReportedWithTheirLine(string sql, string what, int line)
    {
        var error = Assert.Throws<SqlSyntaxException>(() => SqlScript.Split(sql));
        Assert.Contains(what, error.Message);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void NormalizeIgnoresLayoutCommentsAndKeywordCase()
    {
        Assert.Equal(
            SqlScript.Normalize("CREATE   TABLE a (x int); -- note\n"),
            SqlScript.Normalize("create table a (\n  x int\n)"));
        Assert.NotEqual(SqlScript.Normalize("select 'A'"), SqlScript.Normalize("select 'a'"));
    }

    [Fact]
    public void LineOfPositionCountsNewlinesInsideTheStatement()
    {
        var statement = SqlScript.Split("\n\nselect 1,\n  2,\n  nope")[0];
        Assert.Equal(3, statement.Line);
        Assert.Equal(5, statement.LineOfPosition(statement.Text.IndexOf("nope", StringComparison.Ordinal) + 1));
    }

    [Theory]
    [InlineData("create index concurrently if not exists i on public.t (x)", "public.i")]
    [InlineData("CREATE UNIQUE INDEX CONCURRENTLY i ON t (x)", "i")]
    [InlineData("create index i on t (x)", null)]
    public void FindsTheIndexOfAConcurrentBuild(string sql, string? index) =>
        Assert.Equal(index, NonTransactionalStatement.ConcurrentIndexName(SqlScript.Split(sql)[0]));
}
