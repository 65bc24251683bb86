using System.ComponentModel.DataAnnotations;
using System.Net;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;

namespace Dom.Silo.Hosting;

/// <summary>Which providers the silo runs on: the <c>Silo</c> section of silo-config/, never code branches elsewhere.
/// (Not the <c>Orleans</c> section: Orleans reads that one itself, with a provider model that cannot share one
/// NpgsqlDataSource.)</summary>
public sealed class OrleansHostingOptions
{
    public const string Section = "Silo";

    [Required] public string ClusterId { get; set; } = "dom-dev";

    [Required] public string ServiceId { get; set; } = "dom";

    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one at. Loopback by default.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Localhost or AdoNet.</summary>
    public string Clustering { get; set; } = "Localhost";

    /// <summary>Memory or AdoNet.</summary>
    public string Storage { get; set; } = "Memory";

    /// <summary>Memory or AdoNet.</summary>
    public string Reminders { get; set; } = "Memory";

    /// <summary>Seconds a grain call may take before the caller gets a timeout.</summary>
    [Range(1, 300)] public int ResponseTimeoutSeconds { get; set; } = 30;
}

internal static class OrleansSetup
{
    public const string ConnectionStringName = "Dom";
    public const string Invariant = "Npgsql";
    public const string StreamProvider = "events";
    public const string PubSubStore = "PubSubStore";

    public static void AddDomOrleans(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(OrleansHostingOptions.Section).Get<OrleansHostingOptions>() ?? new OrleansHostingOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        var usesPostgres = options.Clustering == "AdoNet" || options.Storage == "AdoNet" || options.Reminders == "AdoNet";
        if (usesPostgres)
        {
            // One NpgsqlDataSource (one pool) for every Orleans provider and the engine's own tables.
            var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName) is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is required when an Orleans provider is AdoNet.");
            builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        }

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
            silo.Configure<SiloMessagingOptions>(messaging => messaging.ResponseTimeout = TimeSpan.FromSeconds(options.ResponseTimeoutSeconds));

            switch (options.Clustering)
            {
                case "Localhost":
                    silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
                    break;
                case "AdoNet":
                    silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
                    silo.UseAdoNetClustering(o => o.Invariant = Invariant);
                    silo.Services.AddOptions<AdoNetClusteringSiloOptions>().Configure<NpgsqlDataSource>((o, data) => o.DataSource = data);
                    break;
                default:
                    throw new InvalidOperationException($"Orleans:Clustering '{options.Clustering}' is not Localhost or AdoNet.");
            }

            switch (options.Storage)
            {
                case "Memory":
                    silo.AddMemoryGrainStorage(DomStorage.Name);
                    silo.AddMemoryGrainStorage(PubSubStore);
                    break;
                case "AdoNet":
                    silo.Services.Replace(ServiceDescriptor.Singleton<IGrainJournal, PostgresJournal>());
                    foreach (var name in new[] { DomStorage.Name, PubSubStore })
                    {
                        silo.AddAdoNetGrainStorage(name, o => o.Invariant = Invariant);

                        // Orleans' own binary serializer, chosen on purpose over the provider's default (Newtonsoft
                        // JSON): version tolerant through [Id] members, compact, and the codecs the grains already
                        // use on the wire. Tests round-trip every state through it.
                        silo.Services.AddOptions<AdoNetGrainStorageOptions>(name).Configure<NpgsqlDataSource, Serializer>((o, data, serializer) =>
                        {
                            o.DataSource = data;
                            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                        });
                    }

                    break;
                default:
                    throw new InvalidOperationException($"Orleans:Storage '{options.Storage}' is not Memory or AdoNet.");
            }

            switch (options.Reminders)
            {
                case "Memory":
                    silo.UseInMemoryReminderService();
                    break;
                case "AdoNet":
                    silo.UseAdoNetReminderService(o => o.Invariant = Invariant);
                    silo.Services.AddOptions<AdoNetReminderTableOptions>().Configure<NpgsqlDataSource>((o, data) => o.DataSource = data);
                    break;
                default:
                    throw new InvalidOperationException($"Orleans:Reminders '{options.Reminders}' is not Memory or AdoNet.");
            }

            silo.AddMemoryStreams(StreamProvider);
        });
    }
}
