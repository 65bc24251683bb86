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
public sealed class OrleansHostingOptions : IValidatableObject
{
    public const string Section = "Silo";

    [Required] public string ClusterId { get; set; } = "dom-dev";

    [Required] public string ServiceId { get; set; } = "dom";

    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one at (an IP address). Loopback by default.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Localhost or AdoNet.</summary>
    [RegularExpression("^(Localhost|AdoNet)$", ErrorMessage = "Silo:Clustering must be Localhost or AdoNet.")]
    public string Clustering { get; set; } = "Localhost";

    /// <summary>Memory or AdoNet.</summary>
    [RegularExpression("^(Memory|AdoNet)$", ErrorMessage = "Silo:Storage must be Memory or AdoNet.")]
    public string Storage { get; set; } = "Memory";

    /// <summary>Memory or AdoNet.</summary>
    [RegularExpression("^(Memory|AdoNet)$", ErrorMessage = "Silo:Reminders must be Memory or AdoNet.")]
    public string Reminders { get; set; } = "Memory";

    /// <summary>Seconds a grain call may take before the caller gets a timeout (a 503 at the API). Short on purpose: a
    /// checkout needs an answer in milliseconds, and a call stuck on a silo that just died must not hold a client for
    /// the Orleans default of 30 s. It bounds the worst call during a silo crash together with <c>Silo:Membership</c>.</summary>
    [Range(1, 300)] public int ResponseTimeoutSeconds { get; set; } = 5;

    /// <summary>Run under Kubernetes: Orleans' Kubernetes hosting takes the advertised address from <c>POD_IP</c>,
    /// the silo name from <c>POD_NAME</c>, the cluster and service ids from <c>ORLEANS_CLUSTER_ID</c>/<c>ORLEANS_SERVICE_ID</c>,
    /// and declares a silo dead as soon as its pod is deleted. Off for local runs.</summary>
    public bool Kubernetes { get; set; }

    /// <summary>Journal batches written to PostgreSQL at once. 1 (the default) makes the fewest, largest batches: the
    /// least database CPU per event, which wins when PostgreSQL shares the silo's cores (measured on 2 cores: 6.7k
    /// reservations/s with 1, 4.6k with 4). Raise it when the database has cores of its own and commit latency matters
    /// more than its CPU.</summary>
    [Range(1, 64)] public int JournalBatchesInFlight { get; set; } = PostgresJournal.DefaultBatchesInFlight;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Four dotted numbers or an IPv6 address; IPAddress.Parse alone also takes "1.2.3" and "cafe" as addresses.
        if (!IPAddress.TryParse(AdvertisedAddress, out var address) || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && AdvertisedAddress.Count(c => c == '.') != 3))
        {
            yield return new ValidationResult("Silo:AdvertisedAddress must be an IP address (e.g. 10.0.0.5), not a host name.", [nameof(AdvertisedAddress)]);
        }
    }
}

internal static class OrleansSetup
{
    public const string ConnectionStringName = "Dom";
    public const string Invariant = "Npgsql";
    public const string StreamProvider = "events";
    public const string PubSubStore = "PubSubStore";

    public static void AddDomOrleans(this WebApplicationBuilder builder)
    {
        // Read now because the providers are chosen while the silo is built; also bound for DI so it is validated on
        // start like every other options class.
        var options = builder.Configuration.GetSection(OrleansHostingOptions.Section).Get<OrleansHostingOptions>() ?? new OrleansHostingOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        builder.Services.AddOptions<OrleansHostingOptions>().BindConfiguration(OrleansHostingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (UsesPostgres(options))
        {
            // One NpgsqlDataSource (one pool) for every Orleans provider, the health check and the engine's own tables.
            builder.AddDomPostgres(ConnectionStringName);
        }

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
            silo.Configure<SiloMessagingOptions>(messaging => messaging.ResponseTimeout = TimeSpan.FromSeconds(options.ResponseTimeoutSeconds));

            // Failure detection, with Orleans' own option names (silo-config/appsettings.json documents the values).
            silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration($"{OrleansHostingOptions.Section}:Membership");

            switch (options.Clustering)
            {
                case "Localhost":
                    silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
                    break;
                case "AdoNet" when options.Kubernetes:
                    // The pod's address is not known here: Orleans' Kubernetes hosting fills it in from POD_IP.
                    silo.Configure<EndpointOptions>(endpoints =>
                    {
                        endpoints.SiloPort = options.SiloPort;
                        endpoints.GatewayPort = options.GatewayPort;
                    });
                    silo.UseKubernetesHosting();
                    silo.UseAdoNetClustering(o => o.Invariant = Invariant);
                    silo.Services.AddOptions<AdoNetClusteringSiloOptions>().Configure<NpgsqlDataSource>((o, data) => o.DataSource = data);
                    break;
                case "AdoNet":
                    silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
                    silo.UseAdoNetClustering(o => o.Invariant = Invariant);
                    silo.Services.AddOptions<AdoNetClusteringSiloOptions>().Configure<NpgsqlDataSource>((o, data) => o.DataSource = data);
                    break;
                default:
                    throw new InvalidOperationException($"Silo:Clustering '{options.Clustering}' is not Localhost or AdoNet.");
            }

            switch (options.Storage)
            {
                case "Memory":
                    foreach (var name in new[] { DomStorage.Name, PubSubStore })
                    {
                        silo.AddMemoryGrainStorage(name);
                        silo.Services.UseOrleansStorageSerializer<MemoryGrainStorageOptions>(name);
                    }

                    break;
                case "AdoNet":
                    silo.Services.Replace(ServiceDescriptor.Singleton<IGrainJournal>(services => new PostgresJournal(
                        services.GetRequiredService<NpgsqlDataSource>(),
                        services.GetRequiredService<ILogger<PostgresJournal>>(),
                        options.JournalBatchesInFlight,
                        TimeSpan.FromSeconds(services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PostgresOptions>>().Value.CommandTimeoutSeconds))));
                    foreach (var name in new[] { DomStorage.Name, PubSubStore })
                    {
                        silo.AddAdoNetGrainStorage(name, o => o.Invariant = Invariant);

                        silo.Services.AddOptions<AdoNetGrainStorageOptions>(name).Configure<NpgsqlDataSource>((o, data) => o.DataSource = data);
                        silo.Services.UseOrleansStorageSerializer<AdoNetGrainStorageOptions>(name);
                        silo.Services.GuardGrainStorage(name);
                    }

                    break;
                default:
                    throw new InvalidOperationException($"Silo:Storage '{options.Storage}' is not Memory or AdoNet.");
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
                    throw new InvalidOperationException($"Silo:Reminders '{options.Reminders}' is not Memory or AdoNet.");
            }

            silo.AddMemoryStreams(StreamProvider);
            silo.AddIncomingGrainCallFilter<EngineCallFilter>();
            silo.Services.AddSingleton<IConfigureGrainContextProvider, SlotActivationMetrics>();
        });
    }

    private static bool UsesPostgres(OrleansHostingOptions options) =>
        options.Clustering == "AdoNet" || options.Storage == "AdoNet" || options.Reminders == "AdoNet";
}
