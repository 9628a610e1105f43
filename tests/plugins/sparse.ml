(* A sparse disk of any size for the tests of requests of 2 GiB and more:
   a hash table of the 64 KiB blocks that were written, like nbdkit's
   memory plugin, so that an 8 GiB disk costs only what is written.
   Written against the record API (nbdkit 1.16's types: int32 counts),
   built by the seed's recipe.  Every trim, zero, cache and extents call
   reports its count and offset through NBDKit.debug, so that tests see
   how the library split a large request.  Its labelled twin is
   l132_sparse.ml.  Key: size=SIZE (default 8G). *)

let bs = 65536
let size = ref (NBDKit.parse_size "8G")
let blocks : (int, Bytes.t) Hashtbl.t = Hashtbl.create 64

(* The byte range [off, off+len) of the disk, block by block: f block
   index, offset in the block, length, offset in the range. *)
let iter_blocks off len f =
  let rec go pos done_ =
    if done_ < len then begin
      let b = pos / bs and inb = pos mod bs in
      let n = min (bs - inb) (len - done_) in
      f b inb n done_;
      go (pos + n) (done_ + n)
    end in
  go off 0

let read count offset =
  let buf = Bytes.make count '\000' in
  iter_blocks offset count (fun b inb n at ->
    match Hashtbl.find_opt blocks b with
    | Some blk -> Bytes.blit blk inb buf at n
    | None -> ());
  Bytes.unsafe_to_string buf

let write data offset =
  iter_blocks offset (String.length data) (fun b inb n at ->
    let blk = match Hashtbl.find_opt blocks b with
      | Some blk -> blk
      | None -> let blk = Bytes.make bs '\000' in Hashtbl.replace blocks b blk; blk in
    Bytes.blit_string data at blk inb n)

(* Zeroing a whole block frees it, as the memory plugin frees its pages. *)
let zero count offset =
  iter_blocks offset count (fun b inb n _ ->
    if n = bs then Hashtbl.remove blocks b
    else match Hashtbl.find_opt blocks b with
      | Some blk -> Bytes.fill blk inb n '\000'
      | None -> ())

(* Allocated blocks are data, the others holes that read as zeroes;
   neighbours of the same kind are merged. *)
let extents count offset =
  let last = min (Int64.to_int !size) (offset + count) in
  let rec go pos acc =
    if pos >= last then List.rev acc
    else begin
      let b = pos / bs in
      let n = min ((b + 1) * bs) last - pos in
      let hole = not (Hashtbl.mem blocks b) in
      let acc = match acc with
        | (o, l, h) :: rest when h = hole -> (o, l + n, h) :: rest
        | _ -> (pos, n, hole) :: acc in
      go (pos + n) acc
    end in
  List.map (fun (o, l, h) ->
    { NBDKit.offset = Int64.of_int o; length = Int64.of_int l;
      is_hole = h; is_zero = h }) (go offset [])

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "sparse";
  config = Some (fun k v ->
    if k = "size" then size := NBDKit.parse_size v
    else failwith ("unknown parameter: " ^ k));
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> !size);
  pread = Some (fun () count offset _ ->
    read (Int32.to_int count) (Int64.to_int offset));
  pwrite = Some (fun () data offset _ -> write data (Int64.to_int offset));
  trim = Some (fun () count offset _ ->
    NBDKit.debug "trim %ld %Ld" count offset;
    zero (Int32.to_int count) (Int64.to_int offset));
  zero = Some (fun () count offset _ ->
    NBDKit.debug "zero %ld %Ld" count offset;
    zero (Int32.to_int count) (Int64.to_int offset));
  can_cache = Some (fun () -> NBDKit.CacheNop);
  cache = Some (fun () count offset _ ->
    NBDKit.debug "cache %ld %Ld" count offset);
  can_extents = Some (fun () -> true);
  extents = Some (fun () count offset _ ->
    NBDKit.debug "extents %ld %Ld" count offset;
    extents (Int32.to_int count) (Int64.to_int offset));
  thread_model = Some (fun () -> NBDKit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS);
}

let () = NBDKit.register_plugin plugin
