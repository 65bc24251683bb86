using Dom.Silo.Hosting;

if (args.FirstOrDefault() == "migrate")
{
    return await DatabaseSchema.MigrateCommandAsync(args[1..]);
}

return await DomHost.RunAsync(args, Console.Error);
