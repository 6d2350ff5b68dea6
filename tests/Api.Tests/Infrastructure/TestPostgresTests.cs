using Npgsql;

namespace Sharedcloud.Es.Api.Tests.Infrastructure;

public class TestPostgresTests
{
    [Fact]
    public async Task Created_database_is_reachable_and_empty()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("infra");

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            "SELECT current_database(), (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public')", connection);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        Assert.Equal(new NpgsqlConnectionStringBuilder(connectionString).Database, reader.GetString(0));
        Assert.StartsWith("infra_", reader.GetString(0));
        Assert.Equal(0L, reader.GetInt64(1));
        Assert.Contains(TestPostgres.Mode, new[] { "env", "testcontainers", "local-cluster" });
    }

    [Fact]
    public async Task Two_created_databases_are_distinct()
    {
        var first = await TestPostgres.CreateDatabaseAsync();
        var second = await TestPostgres.CreateDatabaseAsync();

        await using (var connection = new NpgsqlConnection(first))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE marker (id int)", connection);
            await create.ExecuteNonQueryAsync();
        }

        await using (var connection = new NpgsqlConnection(second))
        {
            await connection.OpenAsync();
            await using var probe = new NpgsqlCommand("SELECT to_regclass('public.marker') IS NULL", connection);
            Assert.True((bool)(await probe.ExecuteScalarAsync())!);
        }
        Assert.NotEqual(new NpgsqlConnectionStringBuilder(first).Database, new NpgsqlConnectionStringBuilder(second).Database);
    }
}
