(* NBDKit.parse_size, parse_bool and read_password on every config value,
   the verdict printed on stdout in the format of
   tests/plugins/nbdkit_rules.c, which does the same with nbdkit's own
   functions: tests/e2e-nbdkit-rules.sh compares the two, under nbdkit
   (where NBDKit calls nbdkit's functions) and outside it (where it has
   its own implementation of nbdkit's rules).  config never fails, so that
   every value is tried. *)

let say fmt = Printf.ksprintf (fun s -> print_string s; flush stdout) fmt

let config key value =
  match key with
  | "size" ->
    (match NBDKit.parse_size value with
     | n -> say "size [%s] %Ld\n" value n
     | exception Invalid_argument _ -> say "size [%s] error\n" value)
  | "bool" ->
    (match NBDKit.parse_bool value with
     | b -> say "bool [%s] %b\n" value b
     | exception Invalid_argument _ -> say "bool [%s] error\n" value)
  | "password" ->
    (match NBDKit.read_password value with
     | p -> say "password [%s] [%s]\n" value p
     | exception Invalid_argument _ -> say "password [%s] error\n" value)
  | _ -> failwith ("unknown parameter: " ^ key)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "rules";
    config = Some config;
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 0L);
    pread = Some (fun () n _ _ -> String.make (Int32.to_int n) '\000');
  }
