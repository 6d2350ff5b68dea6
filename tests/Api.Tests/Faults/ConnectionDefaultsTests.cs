using Npgsql;
using Sharedcloud.Es.Api.Infrastructure;

namespace Sharedcloud.Es.Api.Tests.Faults;

/// <summary>What the service adds to the configured connection string, and that an operator's own values win.</summary>
public sealed class ConnectionDefaultsTests
{
    [Fact]
    public void A_bare_connection_string_gets_bounded_timeouts_and_prepared_statements()
    {
        var given = new NpgsqlConnectionStringBuilder(DatabaseConnection.WithDefaults("Host=db;Username=app;Password=secret"));

        Assert.Equal(DatabaseConnection.DefaultConnectTimeout, given.Timeout);
        Assert.Equal(DatabaseConnection.DefaultCommandTimeout, given.CommandTimeout);
        Assert.Equal(DatabaseConnection.DefaultMaxAutoPrepare, given.MaxAutoPrepare);
        Assert.Equal("secret", given.Password);
    }

    [Fact]
    public void Values_the_operator_set_are_kept_even_when_they_equal_npgsqls_defaults()
    {
        var given = new NpgsqlConnectionStringBuilder(DatabaseConnection.WithDefaults(
            "Host=db;Timeout=15;Command Timeout=30;Max Auto Prepare=0"));

        Assert.Equal(15, given.Timeout);
        Assert.Equal(30, given.CommandTimeout);
        Assert.Equal(0, given.MaxAutoPrepare); // off, as an operator behind a statement pooler needs
    }

    [Fact]
    public void Commands_do_not_prepare_statements_unless_the_operator_says_so()
    {
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(DatabaseConnection.WithDefaults("Host=db", prepare: false)).MaxAutoPrepare);
        Assert.Equal(16, new NpgsqlConnectionStringBuilder(
            DatabaseConnection.WithDefaults("Host=db;Max Auto Prepare=16", prepare: false)).MaxAutoPrepare);
    }
}
