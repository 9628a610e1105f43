(* Every constructor of Unix.error through NBDKit.set_error, with the
   text OCaml's own Unix.error_message gives for it (strerror of the errno
   OCaml's Unix library maps it to, the mapping nbdkit's own OCaml plugin
   passes to nbdkit_set_error): tests/test-errors.c checks that the errno
   the library reports has that text.  Built by nbdkit 1.28's recipe, which
   links unix.cmxa.

   config "error" N selects the N-th constant constructor of Unix.error
   (0 .. count - 1, in the order unix.mli declares them), "unknown" N
   selects EUNKNOWNERR N.  pread then calls set_error with it and raises
   Failure "NAME|MESSAGE": NAME is how Printexc shows the constructor,
   MESSAGE Unix.error_message.  get_size returns the number of constant
   constructors. *)

(* [position] must handle every constructor (a missing one is a compile
   error), so [count] is the number of constant constructors and the
   list below, made from their numbers, has each of them once. *)
[@@@ocaml.warnerror "+8"]

let position : Unix.error -> int = function
  | E2BIG -> 0 | EACCES -> 1 | EAGAIN -> 2 | EBADF -> 3 | EBUSY -> 4
  | ECHILD -> 5 | EDEADLK -> 6 | EDOM -> 7 | EEXIST -> 8 | EFAULT -> 9
  | EFBIG -> 10 | EINTR -> 11 | EINVAL -> 12 | EIO -> 13 | EISDIR -> 14
  | EMFILE -> 15 | EMLINK -> 16 | ENAMETOOLONG -> 17 | ENFILE -> 18
  | ENODEV -> 19 | ENOENT -> 20 | ENOEXEC -> 21 | ENOLCK -> 22
  | ENOMEM -> 23 | ENOSPC -> 24 | ENOSYS -> 25 | ENOTDIR -> 26
  | ENOTEMPTY -> 27 | ENOTTY -> 28 | ENXIO -> 29 | EPERM -> 30
  | EPIPE -> 31 | ERANGE -> 32 | EROFS -> 33 | ESPIPE -> 34 | ESRCH -> 35
  | EXDEV -> 36 | EWOULDBLOCK -> 37 | EINPROGRESS -> 38 | EALREADY -> 39
  | ENOTSOCK -> 40 | EDESTADDRREQ -> 41 | EMSGSIZE -> 42 | EPROTOTYPE -> 43
  | ENOPROTOOPT -> 44 | EPROTONOSUPPORT -> 45 | ESOCKTNOSUPPORT -> 46
  | EOPNOTSUPP -> 47 | EPFNOSUPPORT -> 48 | EAFNOSUPPORT -> 49
  | EADDRINUSE -> 50 | EADDRNOTAVAIL -> 51 | ENETDOWN -> 52
  | ENETUNREACH -> 53 | ENETRESET -> 54 | ECONNABORTED -> 55
  | ECONNRESET -> 56 | ENOBUFS -> 57 | EISCONN -> 58 | ENOTCONN -> 59
  | ESHUTDOWN -> 60 | ETOOMANYREFS -> 61 | ETIMEDOUT -> 62
  | ECONNREFUSED -> 63 | EHOSTDOWN -> 64 | EHOSTUNREACH -> 65 | ELOOP -> 66
  | EOVERFLOW -> 67
  | EUNKNOWNERR _ -> -1

let count = 68

let all = List.init count (fun i -> (Obj.magic i : Unix.error))

(* Fails to load if the numbering is not the declaration order. *)
let () =
  List.iteri (fun i e ->
    if position e <> i then failwith "r128_errnos: constructors out of order")
    all

let current = ref Unix.EIO

let name e = Printexc.to_string (Unix.Unix_error (e, "", ""))

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "errnos";
    config = Some (fun k v ->
      match k with
      | "error" -> current := List.nth all (int_of_string v)
      | "unknown" -> current := Unix.EUNKNOWNERR (int_of_string v)
      | _ -> failwith ("unknown parameter: " ^ k));
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> Int64.of_int count);
    pread = Some (fun () _ _ _ ->
      NBDKit.set_error !current;
      failwith (name !current ^ "|" ^ Unix.error_message !current));
  }
