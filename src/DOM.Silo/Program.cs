using Dom.Silo.Hosting;

if (args.FirstOrDefault() == "migrate")
{
    return await DatabaseSchema.MigrateCommandAsync(args[1..]);
}

var app = DomHost.Build(args);
await app.RunAsync();
return 0;
